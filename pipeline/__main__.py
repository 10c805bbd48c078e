"""`python -m pipeline` runs the `enrich` command."""

import sys

from pipeline.cli import main

sys.exit(main())

"""`python -m pipeline` runs the `enrich` command."""

from pipeline.cli import command

command()

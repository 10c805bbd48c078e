"""enrich: turn a file of bare links into a drafted newsletter issue."""

__version__ = "0.1.0"
HOMEPAGE = "https://github.com/enrich-digest/enrich"

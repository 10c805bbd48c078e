"""One fetcher per source (arXiv, GitHub, web), all behind the protocol in `base`."""

"""`enrich gather`: candidate links from feeds into the editor's inbox (pure parsing, picking and merging; run.py is the I/O)."""

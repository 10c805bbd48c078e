"""Per-site extraction rules (pipeline/sites/rules.py chooses among them) and the table of known
site names; importing the package loads neither the rules nor the HTML parser."""

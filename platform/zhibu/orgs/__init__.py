"""The org tree: units, their history, and subtree queries."""

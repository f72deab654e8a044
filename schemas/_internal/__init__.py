"""Implementation details of ``schemas``: not for import from outside the package (tested)."""

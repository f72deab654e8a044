"""exporter_node package."""

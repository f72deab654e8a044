"""port_node package."""

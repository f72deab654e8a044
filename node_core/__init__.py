"""node_core package."""

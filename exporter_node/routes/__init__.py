"""The exporter's HTTP routes, one module per resource; operator routes need the node's bearer token."""

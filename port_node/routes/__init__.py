"""The port's HTTP routes, one module per resource: submissions, the public log, the trust list."""

"""End-to-end tests: real node processes talking real HTTP (``processes``), a whole network started by
the product's launcher (``network``), the conformance suites against real nodes (``conformance``) and
the dashboards in headless Chromium (``browser``). All are marked ``e2e``."""

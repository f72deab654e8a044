"""The test suite: one package, so that modules are named by their folder and share ``tests.support``."""

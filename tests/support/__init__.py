"""Helpers shared by the test folders: real node processes, throwaway databases, test data files.

Tests import them as ``from support.<module> import ...``: ``tests/`` is on ``sys.path`` because it holds
the root ``conftest.py`` and has no ``__init__.py`` (pytest's default ``prepend`` import mode).

- ``support.processes``: ``NodeProcess`` (a node started as a real process, waited for until healthy,
  stopped, killed, restarted), ``free_port``, ``free_base_port``, ``node_env``, ``pilot_init``;
- ``support.databases``: the throwaway database behind the root ``database_url`` fixture, and a
  throwaway PostgreSQL schema;
- ``support.files``: ``asset(name)`` (``tests/data``) and ``vector(name)`` (``schemas/vectors``);
- ``support.harness``: the ``harness`` fixture (a port harness over a fresh database);
- ``support.port``: ``FakePort``, a port for the exporter's tests behind ``httpx.MockTransport``.
"""

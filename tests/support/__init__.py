"""Helpers shared by the test folders: real node processes, throwaway databases, test data files.

``tests`` is a package (every test folder has an ``__init__.py``), so tests import these as
``from tests.support.<module> import ...``.

- ``support.processes``: ``NodeProcess`` (a node started as a real process, waited for until healthy,
  stopped, killed, restarted), ``free_port``, ``free_base_port``, ``node_env``, ``pilot_init``;
- ``support.databases``: the throwaway database behind the root ``database_url`` fixture, and a
  throwaway PostgreSQL schema;
- ``support.files``: ``asset(name)`` (``tests/data``) and ``vector(name)`` (``schemas/vectors``);
- ``support.harness``: the ``harness`` fixture (a port harness over a fresh database) and ``harness_settings``;
- ``support.port``: ``FakePort``, the kit's stand-in port for the exporter's tests, behind ``httpx.MockTransport``;
- ``support.conformance``: the conformance tests' ``pilot init`` sandbox and real port process;
- ``support.examples``: valid, unsigned example documents of every wire type;
- ``support.sealed``: consignments with laboratory results, sealed to a port's ``keyAgreement`` key as an
  exporter seals them (or as a careless or hostile one would), and the sandbox keys that open them;
- ``support.epcis``: hand-written UNTP DTE credentials and the GS1 EPCIS 2.0 JSON Schema validator;
- ``support.json_paths``: paths into parsed JSON (``leaves``, ``get``);
- ``support.nodes``: ``node_core``'s base app for the shared HTTP layer's tests;
- ``support.reproducible``: hypothesis settings for runs that are the same every time;
- ``support.surface``: checks of a module's ``__all__`` against what it defines.
"""

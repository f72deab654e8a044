"""``pilot audit``: evidence bundles a sceptic can verify offline, the consignment trail, the log monitor.

- ``bundle``: the deterministic evidence zip (``build_bundle``, ``zip_files``, ``read_bundle``);
- ``collect``: gathering a consignment's evidence from its exporter and port over HTTP;
- ``verify``: every offline check of a bundle (``verify_bundle`` -> ``Check`` rows);
- ``monitor``: checkpoint signatures, cosignatures and consistency over time, split-view detection;
- ``trail``: a consignment's story as a timeline of verified steps;
- ``wording``: findings kept in English (JSON) with their phrase, shown in the reader's language (text, HTML).

Errors: ``AuditError`` (root) -> ``NodeUnreachableError`` (a node did not answer: blame the transport),
``EvidenceError`` (a node answered something unusable or the consignment is unknown: blame the data).
"""

from __future__ import annotations

from pilot.audit.errors import AuditError, EvidenceError, NodeUnreachableError

__all__ = ["AuditError", "EvidenceError", "NodeUnreachableError"]

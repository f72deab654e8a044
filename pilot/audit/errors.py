"""The errors of ``pilot.audit``, split by blame (see the package docstring for the tree)."""

from __future__ import annotations

__all__ = ["AuditError", "EvidenceError", "NodeUnreachableError"]


class AuditError(Exception):
    """Root of every ``pilot.audit`` error."""


class NodeUnreachableError(AuditError):
    """A node did not answer (connection refused, timeout): the network, not the data, is at fault."""


class EvidenceError(AuditError):
    """A node answered, but not with usable evidence (unknown consignment, not delivered, bad JSON)."""

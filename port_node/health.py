"""The port's ``GET /health``: node_core's fields plus whether the port can take submissions, and why not.

``status`` is ``ok`` while the port signs new checkpoints, holds a usable trust list and reached the
registry at its last status list fetch, and ``degraded`` otherwise, with ``reasons`` saying why: the log
refuses to sign (``log.signing`` false, ``log.problem``; for example the database was restored from an
old backup, as a checkpoint signed by this port's own log key shows), or no trust list is held or the
held one is past its ``nextUpdate`` (``TRUST_LIST_STALE``): intake then answers 503; or the last status
list fetch could not reach the registry (``registry.reachable`` false, ``registry.problem``): intake
still answers, but holds every submission whose credentials' status it cannot establish
(``STATUS_UNAVAILABLE``, docs/design.md §12); or the port's policy takes some category only sealed and
the port cannot open what exporters seal to it now: the trust list names no current ``keyAgreement`` key
of the port, the port holds no private key for that one (never installed, or destroyed), or its keyring
can no longer be read (``SEALED_KEY_UNKNOWN``: intake answers, but rejects every sealed credential).
The answer stays HTTP 200 either way: a degraded port is up (it serves its log, proofs, receipts and
witness, and the operator can look at it) but not healthy for intake. ``pilot up`` and ``pilot status``
count a degraded node as up and show its status; the compose health check (any 200) keeps it running.

Metrics added here: ``port_log_signing`` (1 while the log signs) and ``port_rollback_claims_ignored``
(witness claims of a larger tree that no checkpoint signed by this port's log key backed).
A port run as several processes answers for the process asked, its log first caught up with the database
(``TransparencyLog.refresh``; a database that does not answer leaves the size this process knows).
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError

from node_core.app import Health, HealthChecks
from node_core.metrics import Metrics
from port_node.cosigning import CosignatureCollector
from port_node.state import PortNode

__all__ = [
    "LogHealth",
    "PortHealth",
    "RegistryHealth",
    "install_health_metrics",
    "port_health",
    "port_problems",
    "sealing_problem",
]


class LogHealth(BaseModel):
    """The transparency log's state."""

    size: int
    signing: bool
    problem: str | None = None


class RegistryHealth(BaseModel):
    """Whether the last status list fetch reached the registry (true before the first fetch)."""

    reachable: bool
    problem: str | None = None


class PortHealth(Health):
    """``GET /health`` of a port."""

    model_config = ConfigDict(populate_by_name=True)

    status: Literal["ok", "degraded"] = Field(  # type: ignore[assignment]
        "ok", description="`degraded` when the port cannot take submissions now (see `reasons`); still HTTP 200"
    )
    reasons: list[str] = Field(default_factory=list, description="why the port is degraded; empty when ok")
    log: LogHealth = Field(description="the log's size, and whether it signs new checkpoints")
    registry: RegistryHealth = Field(description="whether the last status list fetch reached the registry")


def port_problems(port: PortNode) -> list[str]:
    """Why this port cannot take submissions now, or cannot check their status (empty when all is well)."""
    problems = []
    refusal = port.log.signing_refusal
    if refusal is not None:
        problems.append(f"LOG_UNAVAILABLE: the log does not sign new checkpoints: {refusal}")
    trust_problem = port.trust.problem
    if trust_problem is not None:
        problems.append(f"TRUST_LIST_STALE: {trust_problem}")
    registry_problem = port.status.registry_problem
    if registry_problem is not None:
        problems.append(f"STATUS_UNAVAILABLE: the registry: {registry_problem}")
    if trust_problem is None:
        sealing = sealing_problem(port, datetime.now(UTC))
        if sealing is not None:
            problems.append(f"SEALED_KEY_UNKNOWN: {sealing}")
    return problems


def sealing_problem(port: PortNode, at: datetime) -> str | None:
    """Why the port cannot open what exporters seal to it at ``at``, when its policy seals a category; else None."""
    registry = port.trust.held
    policy = registry.policy(port.settings.node_id) if registry is not None else None
    if registry is None or policy is None or not policy.sealedDataCategories:
        return None
    categories = ", ".join(str(c) for c in policy.sealedDataCategories)
    current = registry.sealing_key(port.settings.node_id, at)
    if current is None:
        return (
            f"the policy takes {categories} only sealed, but the trust list names no current keyAgreement key of "
            "this port: exporters cannot seal to it"
        )
    held = port.agreement_keys.private_keys()  # looks at the keyring file again first
    if port.agreement_keys.problem is not None:
        return f"the policy takes {categories} only sealed, but {port.agreement_keys.problem}"
    if current.kid not in held:
        return (
            f"the policy takes {categories} only sealed, but this port holds no private key for its current "
            f"keyAgreement key {current.kid}: what exporters seal to it cannot be opened"
        )
    return None


def port_health(port: PortNode) -> HealthChecks:
    """What a port adds to node_core's ``GET /health``: ``status`` ok or degraded, ``reasons`` and ``log``."""

    def checks() -> dict[str, Any]:
        with suppress(DBAPIError):  # the health answer does not depend on the database answering
            port.log.refresh(port.engine)
        refusal = port.log.signing_refusal
        registry_problem = port.status.registry_problem
        reasons = port_problems(port)
        return {
            "status": "degraded" if reasons else "ok",
            "reasons": reasons,
            "log": LogHealth(size=port.log.size, signing=refusal is None, problem=refusal),
            "registry": RegistryHealth(reachable=registry_problem is None, problem=registry_problem),
        }

    return HealthChecks(
        PortHealth,
        checks,
        summary="Whether the port is up, and whether it can take submissions (`status` ok or degraded)",
    )


def install_health_metrics(metrics: Metrics, port: PortNode, collector: CosignatureCollector) -> None:
    """Add the log's health metrics: ``port_log_signing`` and ``port_rollback_claims_ignored``."""
    metrics.gauge(
        "port_log_signing", "1 while the log signs new checkpoints (and intake is open), else 0."
    ).set_function(lambda: 0 if port.log.signing_refusal else 1)
    metrics.gauge(
        "port_rollback_claims_ignored",
        "Witness claims of a larger tree of this log, ignored since start: no checkpoint signed by this "
        "port's log key backed them.",
    ).set_function(lambda: collector.ignored_claims)

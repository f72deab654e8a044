"""The benchmarks' workload: distinct valid submissions, each a manifest with three credentials.

Every submission is different (its own id and lots), so none is an idempotent replay; exporters take turns.
``make_work`` lists them; ``stream_work`` makes them as they are consumed, for runs too long to hold in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["EXPORTERS", "PORT_ID", "REGISTRY_ID", "Work", "make_work", "stream_work"]

PORT_ID = "cn-port-01"
REGISTRY_ID = "registry"
EXPORTERS = ("ru-exp-01", "ru-exp-02", "ru-exp-03", "ru-exp-04", "ru-exp-05", "ru-exp-06")


@dataclass(frozen=True)
class Work:
    """One submission ready to send: who sends it and its JSON bytes."""

    exporter: str
    body: bytes


def stream_work(count: int, tag: str) -> Iterator[Work]:
    """``count`` distinct valid submissions, made one at a time, round-robin exporters (``tag`` keeps runs apart)."""
    import orjson

    from pilot.sandbox import DEFAULT_SEED, build_sandbox
    from pilot.synthetic import Signer, build_world, plan_consignment, sign_consignment

    signer = Signer(build_sandbox().keyrings)
    worlds = {e: build_world(DEFAULT_SEED, e) for e in EXPORTERS}
    for n in range(count):
        exporter = EXPORTERS[n % len(EXPORTERS)]
        parts = plan_consignment(DEFAULT_SEED, worlds[exporter], f"bench-{tag}-{n}", PORT_ID, "sea")
        # One farm, the plant and the conformity credential (and no events or attestation): three credentials.
        parts.farms, parts.events, parts.attestation = parts.farms[:1], [], None
        document = sign_consignment(DEFAULT_SEED, parts, signer).submission
        yield Work(exporter, orjson.dumps(document))


def make_work(count: int, tag: str) -> list[Work]:
    """``count`` distinct valid submissions, each a manifest with three credentials, round-robin exporters."""
    return list(stream_work(count, tag))

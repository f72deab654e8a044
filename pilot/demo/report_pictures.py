"""The pictures of the demo's HTML report: a representative set of consignments, each with its timeline and maps.

The demo ships dozens of consignments (hundreds with ``--consignments 50``), so the report draws a chosen
set (``pictured``): for every exporter and port the first regular consignment that got a receipt, and the
first consignment of every other kind (each fault case, the outage, the sealed and status cases), at
most ``MAX_PICTURED``; a consignment the exporter refused has nothing to draw. ``gather_stories`` reads,
after the checks, what the pictures need that the demo does not hold yet, through the same public routes:
the submission each exporter sent and each port's latest checkpoint, whose cosignatures count when they
verify against the trust list (``pilot.audit.cosignature_times``). ``pictures_section`` renders them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from pilot.audit.cosignature_times import verified_cosignatures
from pilot.pictures import ConsignmentStory, Cosignature, escaped, story_figures_html

if TYPE_CHECKING:
    from pilot.demo.scenario import DemoResult, Scenario, Shipment

__all__ = ["MAX_PICTURED", "gather_stories", "pictured", "pictures_section"]

#: Consignments drawn in the report at most.
MAX_PICTURED = 40


def pictured(shipments: Sequence[Shipment]) -> list[Shipment]:
    """The representative set (module doc), in the order shipped."""
    chosen: dict[tuple[str, ...], Shipment] = {}
    for shipment in shipments:
        if shipment.refused_code is not None:
            continue
        if shipment.kind == "normal":
            if shipment.receipt is not None:
                chosen.setdefault(("normal", shipment.exporter, shipment.port), shipment)
        else:
            chosen.setdefault((shipment.kind,), shipment)
    return list(chosen.values())[:MAX_PICTURED]


def _log_index(receipt: Mapping[str, Any] | None) -> int | None:
    try:
        return int(receipt["credentialSubject"]["log"]["index"]) if receipt else None
    except (KeyError, TypeError, ValueError):
        return None


def gather_stories(scenario: Scenario) -> dict[str, ConsignmentStory]:
    """The story of every ``pictured`` consignment of ``scenario``, by consignment id (module doc)."""
    notes: dict[str, str] = {}
    stories = {}
    for shipment in pictured(scenario.shipments):
        port = shipment.port
        try:
            if port not in notes:
                response = scenario.clients[port].get("/v1/log/checkpoint")
                notes[port] = response.text if response.status_code == 200 else ""
            submission = scenario.submission_of(shipment)
        except (httpx.HTTPError, ValueError):
            continue  # a picture the demo cannot draw is left out; the checks have judged the consignment already
        index = _log_index(shipment.receipt)
        cosignatures: tuple[Cosignature, ...] = ()
        if index is not None and notes[port]:
            cosignatures = verified_cosignatures(notes[port], port, scenario.trust, holding=index)
        stories[shipment.consignment_id] = ConsignmentStory(
            shipment.consignment_id,
            shipment.exporter,
            port,
            submission if isinstance(submission, dict) else None,
            shipment.detail,
            shipment.receipt,
            cosignatures,
            None if shipment.receipt is None else shipment.receipt_problem is None,
        )
    return stories


def pictures_section(result: DemoResult) -> str:
    """The report's section of pictures: each story folded under its id, kind and route, the first one open."""
    stories = result.stories
    if not stories:
        return ""
    kinds = {s.consignment_id: s.kind for s in result.shipments}
    parts = []
    for n, story in enumerate(stories.values()):
        kind = kinds.get(story.consignment_id, "")
        summary = (
            f"<code>{escaped(story.consignment_id)}</code> ({escaped(kind)}) "
            f"{escaped(story.exporter)} &rarr; {escaped(story.port)}"
        )
        opened = " open" if n == 0 else ""
        parts.append(f"<details{opened}><summary>{summary}</summary>{story_figures_html(story)}</details>")
    return (
        '<section id="pictures"><h2>Timelines and farm maps</h2>'
        f"<p>{len(stories)} consignments drawn: for each exporter and port the first regular one, and one of each "
        "other kind. Each timeline runs from the farm lots to the port's decision and its cosigned log entry.</p>"
        + "".join(parts)
        + "</section>"
    )

"""A consignment's timeline as an inline SVG: one row per milestone, in time order, coloured by stage.

The stages follow the consignment from the farm to the port's log: farm lots, traceability events,
certificates, the manifest, delivery, the decision, the log entry and its cosignatures. A row shows the
time (UTC), the time since the row before (the gaps range from months to seconds, so the rows are evenly
spaced and the gap is written, not drawn to scale), the stage, what happened and a detail line; a mark
says whether it went well (a decision to accept, a delivered attempt), needs attention (a hold, a retry)
or failed (a rejection, a receipt that does not verify). Milestones with no time stay in their stage's
place: after the last milestone of the same or an earlier stage. Every text is escaped; a text too long
for its row is cut with an ellipsis and kept whole in the row's tooltip. The labels (stages, units, the legend)
are in the command's language (``pilot.language``); the milestones' own texts come translated from their maker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

from pilot.language import N_, tr
from pilot.pictures._markup import clipped, escaped, text_width

__all__ = ["STAGE_COLOURS", "Milestone", "Outcome", "Stage", "elapsed", "ordered", "timeline_svg"]

Outcome = Literal["ok", "attention", "failed"] | None


class Stage(StrEnum):
    """Where in the consignment's life a milestone lies, in the order of that life (the value: its English label)."""

    farm_lot = N_("farm lot")
    event = N_("traceability event")
    certificate = N_("certificate")
    manifest = N_("manifest")
    delivery = N_("delivery")
    decision = N_("decision")
    log = N_("log")
    cosigned = N_("cosigned")


STAGE_ORDER = {stage: n for n, stage in enumerate(Stage)}
STAGE_COLOURS = {
    Stage.farm_lot: "#2f8f3a",
    Stage.event: "#1f7a8c",
    Stage.certificate: "#7b4fb3",
    Stage.manifest: "#12324f",
    Stage.delivery: "#8a6d1d",
    Stage.decision: "#c0392b",
    Stage.log: "#34495e",
    Stage.cosigned: "#2c6fbb",
}
OUTCOME_MARKS = {"ok": ("✔", "#1b7f3b"), "attention": ("!", "#a15c00"), "failed": ("✘", "#b3261e")}

WIDTH = 960
TOP = 74
ROW = 46
TIME_X, LINE_X, TEXT_X = 178, 196, 214


@dataclass(frozen=True)
class Milestone:
    """One thing that happened to the consignment: when (None: not stated), at which stage, what, how it went."""

    at: datetime | None
    stage: Stage
    title: str
    detail: str = ""
    outcome: Outcome = None


def _second(milestone: Milestone) -> tuple[datetime, int]:
    at = milestone.at or datetime.min.replace(tzinfo=UTC)  # only timed milestones are sorted by it
    return at.replace(microsecond=0), STAGE_ORDER[milestone.stage]


def ordered(milestones: Sequence[Milestone]) -> list[Milestone]:
    """Timed milestones by time (then stage, then given order); each untimed one after its stage's last (module doc).

    Times compare to the second, the precision of the records (a port's ``receivedAt``), so that a decision
    stamped 10:00:05 follows the attempt its exporter started at 10:00:05.4, as it happened.
    """
    timed = sorted((m for m in milestones if m.at is not None), key=_second)
    result = list(timed)
    for milestone in (m for m in milestones if m.at is None):
        place = 0
        for index, other in enumerate(result):
            if STAGE_ORDER[other.stage] <= STAGE_ORDER[milestone.stage]:
                place = index + 1
        result.insert(place, milestone)
    return result


def elapsed(seconds: float) -> str:
    """``+3 s``, ``+5 min``, ``+2 h 5 min``, ``+3 d 4 h``: a gap between two rows, to the unit that matters."""
    whole = max(0, round(seconds))
    if whole < 60:
        return tr("+{seconds} s", seconds=whole)
    minutes, hours, days = whole // 60, whole // 3600, whole // 86400
    if hours == 0:
        return tr("+{minutes} min", minutes=minutes)
    if days == 0:
        if minutes % 60:
            return tr("+{hours} h {minutes} min", hours=hours, minutes=minutes % 60)
        return tr("+{hours} h", hours=hours)
    if hours % 24 and days < 10:
        return tr("+{days} d {hours} h", days=days, hours=hours % 24)
    return tr("+{days} d", days=days)


def _when(at: datetime | None) -> str:
    return tr("time not stated") if at is None else at.strftime("%Y-%m-%d %H:%M:%S")


def _legend(stages: list[Stage]) -> str:
    items, x = [], 10
    for stage in stages:
        label = tr(stage.value)
        items.append(
            f'<circle cx="{x + 5}" cy="47" r="5" fill="{STAGE_COLOURS[stage]}"/>'
            f'<text x="{x + 14}" y="51" font-size="11" fill="#4a5561">{escaped(label)}</text>'
        )
        x += 24 + 7 * text_width(label)
    return "".join(items)


def _row(index: int, milestone: Milestone, previous: datetime | None) -> str:
    y = TOP + index * ROW
    colour = STAGE_COLOURS[milestone.stage]
    mark, mark_colour = OUTCOME_MARKS.get(milestone.outcome or "", ("", ""))
    gap = ""
    if previous is not None and milestone.at is not None:
        gap = (
            f'<text x="{TIME_X}" y="{y + 16}" font-size="10.5" text-anchor="end" fill="#8a949e">'
            f"{elapsed((milestone.at - previous).total_seconds())}</text>"
        )
    stage = tr(milestone.stage.value)
    tooltip = f"{_when(milestone.at)} · {stage}: {milestone.title}" + (
        f" — {milestone.detail}" if milestone.detail else ""
    )
    outcome = f' data-outcome="{milestone.outcome}"' if milestone.outcome else ""
    mark_text = f'<tspan fill="{mark_colour}" font-weight="bold">{mark} </tspan>' if mark else ""
    return (
        f'<g class="milestone" data-stage="{escaped(milestone.stage.name)}"{outcome}>'
        f"<title>{escaped(tooltip)}</title>"
        f'<text x="{TIME_X}" y="{y}" font-size="11.5" text-anchor="end" font-family="ui-monospace, monospace" '
        f'fill="#1d2530">{_when(milestone.at)}</text>{gap}'
        f'<circle cx="{LINE_X}" cy="{y - 4}" r="7" fill="{colour}" stroke="#fff" stroke-width="2"/>'
        f'<text x="{TEXT_X}" y="{y}" font-size="13" fill="#1d2530">{mark_text}'
        f'<tspan fill="{colour}" font-weight="bold">{escaped(stage)}</tspan> '
        f"{escaped(clipped(milestone.title, 96))}</text>"
        f'<text x="{TEXT_X}" y="{y + 16}" font-size="11" fill="#67727e">'
        f"{escaped(clipped(milestone.detail, 128))}</text>"
        "</g>"
    )


def timeline_svg(milestones: Sequence[Milestone], *, title: str) -> str:
    """The timeline of ``milestones`` (any order: they are ordered here) as an ``<svg>`` element, titled ``title``."""
    rows = ordered(milestones)
    height = TOP + max(len(rows), 1) * ROW
    body: list[str] = []
    previous: datetime | None = None
    for index, milestone in enumerate(rows):
        body.append(_row(index, milestone, previous))
        previous = milestone.at or previous
    if rows:
        line = f'<path d="M{LINE_X} {TOP - 4} V{TOP + (len(rows) - 1) * ROW - 4}" stroke="#c5ccd3" stroke-width="3"/>'
    else:
        line = f'<text x="{TEXT_X}" y="{TOP}" font-size="13" fill="#67727e">{escaped(tr("nothing to show"))}</text>'
    stages = sorted({m.stage for m in rows}, key=STAGE_ORDER.__getitem__)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="pilot-timeline" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" font-family="system-ui, sans-serif" style="max-width: 100%; height: auto">'
        f"<title>{escaped(title)}</title>"
        f'<text x="10" y="22" font-size="15" font-weight="bold" fill="#1d2530">{escaped(clipped(title, 110))}</text>'
        f"{_legend(stages)}{line}{''.join(body)}</svg>"
    )

"""``pilot audit trail ID --format html``: the trail as one self-contained page, with its timeline and farm maps.

The page holds the consignment's timeline (farm lots to the cosigned checkpoint) and a map of each farm
(``pilot.pictures``), then every step of the trail (``pilot.audit.trail``) with whether it verified. It
needs nothing outside itself: styles inline, pictures as inline SVG, no script, no font, no image, and a
Content-Security-Policy that would refuse any of those if one slipped in. Every value from a node is
escaped (``pilot.pictures`` text rules).

``gather_story`` reads what the pictures need from the running network, as the trail does: the
consignment's view and the submission from its exporter, and the port's latest checkpoint, whose
cosignatures count when verified (``pilot.audit.cosignature_times``). The receipt is verified here too, so
the timeline marks its decision and log entry as verified or not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pilot.audit.cosignature_times import verified_cosignatures
from pilot.audit.errors import AuditError
from pilot.audit.nodes import AuditNetwork
from pilot.audit.trail import Step
from pilot.audit.wording import shown
from pilot.language import N_, cli_language, tr
from pilot.pictures import ConsignmentStory, escaped, story_figures_html
from schemas.errors import VerificationError
from schemas.receipt import verify_receipt
from schemas.time import parse_time

__all__ = ["CONTENT_SECURITY_POLICY", "gather_story", "trail_page_html"]

#: Nothing but the page's own inline styles (and inline SVG, which is part of the document).
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1d2530; max-width: 70rem; }
table { border-collapse: collapse; margin: 1rem 0; font-size: .9rem; }
td, th { border: 1px solid #d5dbe1; padding: .3rem .6rem; text-align: left; vertical-align: top; }
td:first-child { white-space: nowrap; }
th { background: #eef1f4; }
code { word-break: break-all; }
.verdict { font-size: 1.2rem; font-weight: bold; }
.ok { color: #1b7f3b; } .bad { color: #b3261e; } .muted { color: #67727e; }
tr.bad td { background: #fde2e2; }
"""


#: Where markup goes into a translated sentence, after the sentence is escaped.
_MARK = "@@markup@@"
_HEADERS = (N_("time"), N_("who"), N_("step"), N_("verified"), N_("detail"))


def _receipt_verified(receipt: Any, port: str, network: AuditNetwork) -> bool | None:
    if not isinstance(receipt, dict):
        return None
    try:
        received = parse_time(str(receipt["credentialSubject"]["receivedAt"]))
        verify_receipt(receipt, network.trust(), port_id=port, at=received)
    except (VerificationError, KeyError, TypeError, ValueError):
        return False
    return True


def gather_story(network: AuditNetwork, consignment_id: str) -> ConsignmentStory:
    """What the pictures of ``consignment_id`` are drawn from (module doc); AuditError as for the trail."""
    exporter, view, submission = network.sent_submission(consignment_id)
    port = str(view.get("destination"))
    receipt = view.get("receipt")
    cosignatures: tuple[Any, ...] = ()
    if isinstance(receipt, dict):
        try:
            index = int(receipt["credentialSubject"]["log"]["index"])
            with network.port(port) as api:
                note = api.checkpoint()
            cosignatures = verified_cosignatures(note, port, network.trust(), holding=index)
        except (AuditError, KeyError, TypeError, ValueError):
            cosignatures = ()  # the trail's step about the latest checkpoint says what went wrong
    return ConsignmentStory(
        consignment_id,
        exporter,
        port,
        submission if isinstance(submission, dict) else None,
        view,
        receipt if isinstance(receipt, dict) else None,
        cosignatures,
        _receipt_verified(receipt, port, network),
    )


def _step_row(step: Step) -> str:
    marks = {
        True: f'<span class="ok">{escaped(tr("yes"))}</span>',
        False: f'<span class="bad">{escaped(tr("NO"))}</span>',
        None: "-",
    }
    row_class = ' class="bad"' if step.verified is False else ""
    name = getattr(step, "actor_name", "")  # the actor's name, where the trail gives one
    actor = shown(step.actor)
    cells = (step.at or "-", f"{actor} {name}" if name else actor, shown(step.what))
    return (
        f"<tr{row_class}>"
        + "".join(f"<td>{escaped(cell)}</td>" for cell in cells)
        + f"<td>{marks[step.verified]}</td><td>{escaped(shown(step.detail))}</td></tr>"
    )


def trail_page_html(consignment_id: str, steps: Sequence[Step], story: ConsignmentStory) -> str:
    """The whole page (module doc) for ``consignment_id``, in the command's language: its pictures, then its steps.

    The labels are translated (``pilot.language``); ids, codes, digests and times are shown as they are.
    """
    ok = all(step.verified is not False for step in steps)
    verdict = (
        f'<p class="verdict ok">{escaped(tr("Every step verified."))}</p>'
        if ok
        else f'<p class="verdict bad">{escaped(tr("Some steps did NOT verify: see the rows marked NO."))}</p>'
    )
    state = story.view.get("state", "?")
    subject = (story.receipt or {}).get("credentialSubject")
    decision = subject.get("decision") if isinstance(subject, Mapping) else None
    made = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = "".join(_step_row(step) for step in steps)
    code = f"<code>{escaped(consignment_id)}</code>"
    heading = escaped(tr("Trail of {consignment}", consignment=_MARK)).replace(_MARK, code, 1)
    route = escaped(
        tr(
            "{exporter} → {port}; delivery state {state}; decision {decision}",
            exporter=story.exporter,
            port=story.port,
            state=state,
            decision=decision or tr("none yet"),
        )
    )
    headers = "".join(f"<th>{escaped(tr(h))}</th>" for h in _HEADERS)
    command = "<code>pilot audit trail --format html</code>"
    written = escaped(
        tr(
            "Written by {command} at {time}. The timeline shows the records as sent; what verified is in the table "
            "above.",
            command=_MARK,
            time=made,
        )
    ).replace(_MARK, command, 1)
    return f"""<!doctype html>
<html lang="{cli_language()}"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">
<title>{escaped(tr("Trail of {consignment}", consignment=consignment_id))}</title>
<style>{_STYLE}</style></head><body>
<h1>{heading}</h1>
{verdict}
<p>{route}</p>
<h2>{escaped(tr("Timeline and farms"))}</h2>
{story_figures_html(story)}
<h2>{escaped(tr("Every step, checked"))}</h2>
<table><tr>{headers}</tr>{rows}</table>
<p class="muted">{written}</p>
</body></html>
"""

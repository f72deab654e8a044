"""What ``pilot status revoke|suspend|reinstate|show`` print: a change of status, and a credential's history.

docs/design.md §§9, 12. A change is reported in one JSON shape whoever made it (``change_report`` for the
issuers whose lists the command keeps, ``exporter_change_report`` for an exporter's answer), printed as a
table or as JSON (``--format json``); a history (``pilot.status_history.EntryHistory``) as a line per status entry
saying its status now (``summary``) and a table of the versions the registry holds. Text from files and
peers goes through ``untrusted``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from node_core.i18n import translate
from pilot.console import console, err_console, print_json, untrusted
from pilot.issuer_state import Action, IssuerChange
from pilot.language import N_, cli_language, localized, tr
from pilot.status_history import EntryHistory
from pilot.tables import new_table
from schemas.status_list import split_status_list_url, status_list_url
from schemas.time import format_time

__all__ = ["change_report", "exporter_change_report", "print_change", "print_histories", "summary"]

#: What ``print_change`` says: (action, changed) -> the line's template.
_CHANGED = {
    ("revoke", True): N_("{credential}: revoked by {issuer}"),
    ("revoke", False): N_("{credential}: already revoked by {issuer}"),
    ("suspend", True): N_("{credential}: suspended by {issuer}"),
    ("suspend", False): N_("{credential}: already suspended by {issuer}"),
    ("reinstate", True): N_("{credential}: reinstated by {issuer}"),
    ("reinstate", False): N_("{credential}: not suspended, nothing for {issuer} to reinstate"),
}
#: The English problem of an exporter's change not yet on the registry (JSON), translated where it is shown.
NOT_ACKNOWLEDGED = N_("not yet acknowledged by the registry")


@dataclass(frozen=True)
class _Words:
    """What ``summary`` says of one purpose's bit: set, clear, and the templates naming the version."""

    set: str
    clear: str
    set_since: str
    set_since_at: str
    cleared_at: str
    cleared_at_time: str


_SUMMARY_WORDS = {
    "revocation": _Words(
        N_("revoked"),
        N_("not revoked"),
        N_("revoked since version {sequence}"),
        N_("revoked since version {sequence} ({time})"),
        N_("not revoked (cleared at version {sequence})"),
        N_("not revoked (cleared at version {sequence}, {time})"),
    ),
    "suspension": _Words(
        N_("suspended"),
        N_("not suspended"),
        N_("suspended since version {sequence}"),
        N_("suspended since version {sequence} ({time})"),
        N_("not suspended (reinstated at version {sequence})"),
        N_("not suspended (reinstated at version {sequence}, {time})"),
    ),
}
_OTHER_WORDS = _Words(
    N_("set"),
    N_("clear"),
    N_("set since version {sequence}"),
    N_("set since version {sequence} ({time})"),
    N_("clear (cleared at version {sequence})"),
    N_("clear (cleared at version {sequence}, {time})"),
)


def change_report(action: Action, change: IssuerChange) -> dict[str, Any]:
    """The report of a change the command made itself (``pilot.issuer_state.change_status``)."""
    publication = change.publication
    return {
        "credential": change.credential_id,
        "issuer": change.issuer,
        "action": action,
        "changed": change.changed,
        "status": change.status,
        "list": {
            "id": status_list_url(change.issuer, change.list_id),
            "sequence": change.sequence,
            "published": publication.published if publication is not None else False,
            "file": str(change.path),
            "problem": None if publication is None else publication.detail,
            "refused": publication is not None and publication.refused,
        },
    }


def exporter_change_report(action: Action, issuer: str, answer: dict[str, Any]) -> dict[str, Any]:
    """The report of a change an exporter made, from its ``POST /v1/status`` answer."""
    given = answer.get("list")
    listed: dict[str, Any] = given if isinstance(given, dict) else {}
    return {
        "credential": answer.get("credential"),
        "issuer": issuer,
        "action": action,
        "changed": answer.get("changed"),
        "status": answer.get("status"),
        "list": {**listed, "problem": None if listed.get("published") else NOT_ACKNOWLEDGED},
    }


def _list_name(url: Any) -> str:
    """``cert-01/suspension-1`` for a pilot status list URL; anything else as it is."""
    names = split_status_list_url(url) if isinstance(url, str) else None
    return "/".join(names) if names is not None else str(url or "")


def _bit(value: bool | None) -> str:
    return "" if value is None else (tr("set") if value else tr("clear"))


def print_change(report: dict[str, Any], as_json: bool) -> None:
    """A change's report as JSON, or as a line, a table and a warning when its version is not published."""
    if as_json:
        print_json(report)
        return
    listed = report["list"]
    line = tr(
        _CHANGED[report["action"], bool(report["changed"])],
        credential=f"[bold]{untrusted(report['credential'])}[/]",
        issuer=untrusted(report["issuer"]),
    )
    console.print(line)
    table = new_table(tr("status list"), tr("version"), tr("published"), tr("status now"))
    bits = (report.get("status") or {}).items()
    status = ", ".join(f"{untrusted(k)}: {_bit(bool(v))}" for k, v in bits)
    table.add_row(
        untrusted(_list_name(listed.get("id"))),
        untrusted(listed.get("sequence")),
        tr("yes") if listed.get("published") else f"[yellow]{tr('no')}[/]",
        status,
    )
    console.print(table)
    if not listed.get("published") and listed.get("problem"):
        # The problem is the registry's answer or ours (English in the JSON): ours is shown in the command's language.
        problem = untrusted(translate(str(listed["problem"]), cli_language()))
        if listed.get("refused"):
            warning = tr("not published: {problem}", problem=problem)
        else:
            warning = tr(
                "not published: {problem} (kept; `pilot up` publishes it when the registry runs)", problem=problem
            )
        err_console.print(f"[yellow]{warning}[/]")


def summary(history: EntryHistory) -> str:
    """``revoked since version 3 (2026-...)``, ``not suspended``, or why the status is unknown (command's language)."""
    if history.now is None:
        problem = localized(history.problem) if history.problem is not None else tr("a version does not verify")
        return tr("unknown: {problem}", problem=problem)
    words = _SUMMARY_WORDS.get(history.purpose, _OTHER_WORDS)
    since = history.since
    when = format_time(since.valid_from) if since is not None and since.valid_from else None
    if history.now:
        if since is None:
            return tr(words.set)
        if when is None:
            return tr(words.set_since, sequence=since.sequence)
        return tr(words.set_since_at, sequence=since.sequence, time=when)
    if len(history.changes) > 1 and since is not None:
        if when is None:
            return tr(words.cleared_at, sequence=since.sequence)
        return tr(words.cleared_at_time, sequence=since.sequence, time=when)
    return tr(words.clear)


def print_histories(credential_id: str, histories: list[EntryHistory]) -> None:
    """Each entry's status now and the table of its list's versions."""
    console.print(f"[bold]{untrusted(credential_id)}[/]")
    for history in histories:
        style = "red" if history.now else ("green" if history.now is False else "yellow")
        heading = tr(
            "{purpose} (index {index} of {list}):",
            purpose=untrusted(history.purpose),
            index=history.index,
            list=untrusted(history.url),
        )
        console.print(f"  {heading} [{style}]{untrusted(summary(history))}[/]", soft_wrap=True)
        table = new_table(
            tr("version"), tr("signed (validFrom)"), tr("received by the registry"), tr("bit"), tr("check")
        )
        for version in history.versions:
            table.add_row(
                str(version.sequence),
                format_time(version.valid_from) if version.valid_from else "",
                untrusted(version.received_at or ""),
                _bit(version.set),
                f"[green]{tr('verified')}[/]"
                if version.problem is None
                else f"[red]{untrusted(localized(version.problem))}[/]",
            )
        console.print(table)

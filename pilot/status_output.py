"""What ``pilot status revoke|suspend|reinstate|show`` print: a change of status, and a credential's history.

docs/design.md §§9, 12. A change is reported in one JSON shape whoever made it (``change_report`` for the
issuers whose lists the command keeps, ``exporter_change_report`` for an exporter's answer), printed as a
table or as JSON (``--format json``); a history (``pilot.status_history.EntryHistory``) as a line per status entry
saying its status now (``summary``) and a table of the versions the registry holds. Text from files and
peers goes through ``untrusted``.
"""

from __future__ import annotations

from typing import Any

from pilot.console import console, err_console, print_json, untrusted
from pilot.issuer_state import Action, IssuerChange
from pilot.status_history import EntryHistory
from pilot.tables import new_table
from schemas.status_list import split_status_list_url, status_list_url
from schemas.time import format_time

__all__ = ["change_report", "exporter_change_report", "print_change", "print_histories", "summary"]

_PAST_TENSE = {"revoke": "revoked", "suspend": "suspended", "reinstate": "reinstated"}
_SET_AND_CLEAR = {"revocation": ("revoked", "not revoked"), "suspension": ("suspended", "not suspended")}


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
        "list": {**listed, "problem": None if listed.get("published") else "not yet acknowledged by the registry"},
    }


def _list_name(url: Any) -> str:
    """``cert-01/suspension-1`` for a pilot status list URL; anything else as it is."""
    names = split_status_list_url(url) if isinstance(url, str) else None
    return "/".join(names) if names is not None else str(url or "")


def print_change(report: dict[str, Any], as_json: bool) -> None:
    """A change's report as JSON, or as a line, a table and a warning when its version is not published."""
    if as_json:
        print_json(report)
        return
    listed = report["list"]
    verb = _PAST_TENSE[report["action"]]
    done = verb if report["changed"] else f"already {verb if verb != 'reinstated' else 'not suspended'}"
    console.print(f"[bold]{untrusted(report['credential'])}[/]: {done} by {untrusted(report['issuer'])}")
    table = new_table("status list", "version", "published", "status now")
    status = ", ".join(f"{k}: {'set' if v else 'clear'}" for k, v in (report.get("status") or {}).items())
    table.add_row(
        untrusted(_list_name(listed.get("id"))),
        untrusted(listed.get("sequence")),
        "yes" if listed.get("published") else "[yellow]no[/]",
        untrusted(status),
    )
    console.print(table)
    if not listed.get("published") and listed.get("problem"):
        later = "" if listed.get("refused") else " (kept; `pilot up` publishes it when the registry runs)"
        err_console.print(f"[yellow]not published:[/] {untrusted(listed['problem'])}{later}")


def summary(history: EntryHistory) -> str:
    """``revoked since version 3 (2026-...)``, ``not suspended``, or why the status is unknown."""
    if history.now is None:
        return f"unknown: {history.problem or 'a version does not verify'}"
    word_set, word_clear = _SET_AND_CLEAR.get(history.purpose, ("set", "clear"))
    since = history.since
    when = f" ({format_time(since.valid_from)})" if since is not None and since.valid_from else ""
    if history.now:
        return f"{word_set} since version {since.sequence}{when}" if since is not None else word_set
    if len(history.changes) > 1 and since is not None:
        verb = "reinstated" if history.purpose == "suspension" else "cleared"
        return f"{word_clear} ({verb} at version {since.sequence}{when})"
    return word_clear


def print_histories(credential_id: str, histories: list[EntryHistory]) -> None:
    """Each entry's status now and the table of its list's versions."""
    console.print(f"[bold]{untrusted(credential_id)}[/]")
    for history in histories:
        style = "red" if history.now else ("green" if history.now is False else "yellow")
        console.print(
            f"  {untrusted(history.purpose)} (index {history.index} of {untrusted(history.url)}): "
            f"[{style}]{untrusted(summary(history))}[/]",
            soft_wrap=True,
        )
        table = new_table("version", "signed (validFrom)", "received by the registry", "bit", "check")
        for version in history.versions:
            bit = "" if version.set is None else ("set" if version.set else "clear")
            table.add_row(
                str(version.sequence),
                format_time(version.valid_from) if version.valid_from else "",
                untrusted(version.received_at or ""),
                bit,
                "[green]verified[/]" if version.problem is None else f"[red]{untrusted(version.problem)}[/]",
            )
        console.print(table)

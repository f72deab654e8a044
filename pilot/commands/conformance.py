"""``pilot conformance``: validate files, run the black-box suites against a node, regenerate the vectors.

What the commands print for people is in the command's language (``pilot --lang``, ``pilot.language``); file
names, codes, case ids and URLs are never translated, nor are the JSON and JUnit reports (data for machines).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer

from pilot.conformance.model import CaseResult, CaseSpec, Text
from pilot.conformance.report import ReportFormat, print_table, shown
from pilot.console import EXIT_FAILED, console, err_console, fail_usage, print_json, untrusted
from pilot.data_dir import default_data_dir
from pilot.documents import FileVerdict, check_file, read_agreement_keys
from pilot.language import LangOpt, tr
from pilot.output_format import FormatOpt, OutputFormat, wants_json
from pilot.reports import Format, NotRun, render_verdicts
from pilot.status_list_options import (
    STATUS_NOT_RUN_CHECKS,
    STATUS_NOT_RUN_REASON,
    StatusListDirsOpt,
    StatusListFilesOpt,
    given_status_lists,
)
from pilot.tables import new_table
from pilot.trust_files import load_registry
from schemas.errors import PilotSchemaError, Reason, VerificationError
from schemas.time import parse_time, utc_now

app = typer.Typer(help="Conformance: validate files, test a node, regenerate vectors.", no_args_is_help=True)


@app.command("validate")
def validate_command(
    files: Annotated[list[Path], typer.Argument(help="Credential or submission JSON files.")],
    trust_list: Annotated[Path | None, typer.Option("--trust-list", help="Trust list (default: data dir's).")] = None,
    trust_anchor: Annotated[Path | None, typer.Option("--trust-anchor", help="Anchor (default: beside list).")] = None,
    port: Annotated[str, typer.Option("--port", help="Port whose policy submissions are judged by.")] = "cn-port-01",
    at: Annotated[str | None, typer.Option("--at", help="Judge at this RFC 3339 time (default: now).")] = None,
    output_format: Annotated[Format, typer.Option("--format", help="Report format.")] = Format.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report here.")] = None,
    reference_dir: Annotated[
        Path | None,
        typer.Option(
            "--reference-dir",
            help="Official standards files for the UNTP 0.6.1 / W3C VC 2.0 schema and JSON-LD checks"
            " (default: $PILOT_REFERENCE_DIR; without one those checks do not run).",
        ),
    ] = None,
    status_list: StatusListFilesOpt = None,
    status_lists: StatusListDirsOpt = None,
    port_keys: Annotated[
        Path | None,
        typer.Option(
            "--port-keys",
            help="The port's keyring file (keys/<port>.pem): its keyAgreement keys open sealed credentials.",
        ),
    ] = None,
) -> None:
    """Check files against the schema, their proofs, the trust list and a port's policy.

    With a reference directory, also against the UNTP 0.6.1 and W3C VC 2.0 JSON Schemas and JSON-LD
    expansion in safe mode (see docs/conformance.md); with status lists, also every credential's status
    (revoked, suspended, or unknown: docs/design.md §12). Exit 0 when every file is accepted, 1 when any
    file has an error-level problem.
    """
    from pilot.conformance import shared_schema
    from schemas.jsonld import reference_dir as resolve_reference_dir

    for path in files:
        if not path.is_file():
            fail_usage(tr("{path} does not exist", path=str(path)))
    reference = resolve_reference_dir(reference_dir)
    if reference is not None:
        if not reference.is_dir():
            fail_usage(
                tr(
                    "reference directory {path} does not exist (--reference-dir or PILOT_REFERENCE_DIR)",
                    path=str(reference),
                )
            )
        missing = shared_schema.missing_reference_files(reference)
        if missing:
            fail_usage(tr("reference directory {path} lacks {files}", path=str(reference), files=", ".join(missing)))
    status = given_status_lists(status_list, status_lists)
    registry = load_registry(trust_list or default_data_dir() / "trust-list.json", trust_anchor)
    try:
        when = parse_time(at) if at else utc_now()
    except VerificationError:
        fail_usage(tr("--at {value} is not an RFC 3339 time", value=repr(at)))
    agreement_keys = None
    if port_keys is not None:
        try:
            agreement_keys = read_agreement_keys(port_keys)
        except (OSError, PilotSchemaError) as exc:
            fail_usage(
                tr("cannot read the port's keyring {path} (--port-keys): {error}", path=str(port_keys), error=str(exc))
            )
    verdicts: list[FileVerdict] = [
        check_file(path, registry, when, port_id=port, status=status, agreement_keys=agreement_keys) for path in files
    ]
    hints: dict[Reason, Text] = {}  # the shared-schema hints, to show in the command's language
    not_run: list[NotRun] = []
    if status is None:
        not_run.append(NotRun(STATUS_NOT_RUN_CHECKS, STATUS_NOT_RUN_REASON))
    if reference is None:
        not_run.append(NotRun(shared_schema.NOT_RUN_CHECKS, shared_schema.NOT_RUN_REASON))
    else:
        for verdict in verdicts:
            if verdict.kind is None:  # not JSON: already refused
                continue
            for finding in shared_schema.check_file(verdict.path, reference, agreement_keys):
                verdict.problems.append(finding.problem)
                verdict.hints[finding.problem] = str(finding.hint)
                hints[finding.problem] = finding.hint
    text = render_verdicts(verdicts, output_format, not_run)
    if output is not None:
        output.write_text(text)
    elif output_format is Format.text:
        _print_table(verdicts, not_run, hints)
    else:
        typer.echo(text, nl=False)
    if any(v.errors for v in verdicts):
        raise typer.Exit(EXIT_FAILED)


def _problem_lines(verdict: FileVerdict, hints: Mapping[Reason, Text]) -> list[str]:
    """Each problem as ``CODE path: message`` in the command's language, then its hint when it has one."""
    lines = []
    for problem in verdict.problems:
        message = shown(problem.phrase) if problem.phrase is not None else problem.message
        lines.append(f"{problem.code} {problem.path}: {message}")
        if hint := hints.get(problem, verdict.hints.get(problem)):
            lines.append("  " + tr("hint: {hint}", hint=shown(hint)))
    return lines


def _print_table(verdicts: list[FileVerdict], not_run: list[NotRun], hints: Mapping[Reason, Text]) -> None:
    table = new_table(tr("file"), tr("kind"), tr("outcome"), tr("problems"))
    for verdict in verdicts:
        style = "green" if verdict.outcome == "accept" else "red"
        details = untrusted("\n".join(_problem_lines(verdict, hints)))
        outcome = f"[{style}]{untrusted(verdict.outcome)}[/]"
        table.add_row(untrusted(verdict.path), untrusted(verdict.kind or "?"), outcome, details)
    console.print(table)
    bad = sum(1 for v in verdicts if v.errors)
    console.print(tr("{accepted} accepted, {refused} refused", accepted=len(verdicts) - bad, refused=bad))
    for item in not_run:
        message = tr(
            "not run: {checks} ({reason})", checks=", ".join(map(shown, item.checks)), reason=shown(item.reason)
        )
        console.print(f"[yellow]{untrusted(message)}[/]")


@app.command("vectors")
def vectors_command(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the vectors into.")],
    seed: Annotated[str | None, typer.Option(help="Seed (default: the published one).")] = None,
    output_format: FormatOpt = OutputFormat.text,
) -> None:
    """Regenerate the published test vectors (byte for byte with the default seed).

    Sealing is randomised: the sealed credentials already in --out are kept where they still open to the
    credential that would be sealed now (docs/design.md §11).
    """
    from pilot.vectors import DEFAULT_SEED, write_vectors

    count = write_vectors(out, seed or DEFAULT_SEED)
    if wants_json(output_format):
        print_json({"directory": str(out), "files": count})
    else:
        console.print(untrusted(tr("wrote {count} files to {directory}", count=count, directory=str(out))))


@app.command("run")
def run_command(
    port: Annotated[str | None, typer.Option("--port", help="URL of a port authority to test.")] = None,
    exporter: Annotated[str | None, typer.Option("--exporter", help="URL of an exporter to test.")] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Sandbox directory (pilot init).")] = None,
    port_id: Annotated[str, typer.Option("--port-id", help="The port tested, or stood in for.")] = "cn-port-01",
    exporter_id: Annotated[str, typer.Option("--exporter-id", help="The exporter tested.")] = "ru-exp-01",
    listen: Annotated[
        str, typer.Option("--listen", help="With --exporter: HOST:PORT where the kit serves the stand-in port.")
    ] = "127.0.0.1:8180",
    timeout: Annotated[
        float, typer.Option("--timeout", help="With --exporter: seconds to wait for deliveries.", min=1)
    ] = 60.0,
    registry: Annotated[
        str | None,
        typer.Option(
            "--registry",
            help="With --exporter: URL of the registry the stand-in port fetches status lists from, besides the"
            " data dir's (the exporter's own lists are there); default: the registry of the data dir's network.json.",
        ),
    ] = None,
    output_format: Annotated[ReportFormat, typer.Option("--format", help="Report format.")] = ReportFormat.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report here.")] = None,
    lang: LangOpt = None,
) -> None:
    """Run the black-box suite against a port (--port) or an exporter (--exporter).

    For --exporter, start the exporter first with PILOT_PEER_URLS=<port id>=http://<listen>,registry=<URL>
    and PILOT_RETRY_BASE_S=0.2 (see docs/conformance.md). Exit 0 when every case passes, 1 when any fails.
    """
    del lang  # applied by its callback (pilot.language): the text and HTML reports' language
    from pilot.commands.node import parse_listen
    from pilot.conformance import KitMaterial, MaterialError, render, run_exporter_suite, run_port_suite
    from pilot.conformance.status_sources import registry_of

    if (port is None) == (exporter is None):
        fail_usage(tr("give exactly one of --port URL or --exporter URL"))
    target = str(port or exporter)
    if not target.startswith(("http://", "https://")):
        fail_usage(tr("{url} is not an http(s) URL", url=repr(target)))
    directory = data_dir or default_data_dir()
    try:
        material = KitMaterial.load(directory)
        if exporter is not None:
            material.token(exporter_id)
    except MaterialError as exc:
        fail_usage(str(exc))
    if registry is not None and not registry.startswith(("http://", "https://")):
        fail_usage(tr("--registry {url} is not an http(s) URL", url=repr(registry)))
    try:
        registry_url = registry or registry_of(directory)
    except ValueError as exc:
        fail_usage(str(exc))
    _require_reachable(target)
    with _Progress(output_format is ReportFormat.text or output is not None) as progress:
        if port is not None:
            report = run_port_suite(material, port, port_id=port_id, progress=progress.hook, planned=progress.total)
        else:
            report = run_exporter_suite(
                material,
                target,
                exporter_id=exporter_id,
                port_id=port_id,
                listen=parse_listen(listen),
                timeout_s=timeout,
                progress=progress.hook,
                planned=progress.total,
                note=progress.note,
                registry_url=registry_url,
            )
    text = render(report, output_format)
    if output is not None:
        output.write_text(text, encoding="utf-8")
        passed = len(report.results) - len(report.failed)
        summary = tr(
            "{passed}/{total} passed; report in {path}", passed=passed, total=len(report.results), path=str(output)
        )
        console.print(untrusted(summary))
    elif output_format is ReportFormat.text:
        print_table(report, console)
    else:
        typer.echo(text, nl=False)
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


def _require_reachable(url: str) -> None:
    import httpx

    try:
        httpx.get(url.rstrip("/") + "/health", timeout=5.0)
    except httpx.HTTPError as exc:
        fail_usage(tr("cannot reach {url}: {error}", url=url, error=str(exc)))


class _Progress:
    """A progress bar on stderr while cases run (quiet when ``show`` is false)."""

    def __init__(self, show: bool) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.show = show
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err_console, transient=True
        )
        self.task = self.progress.add_task(tr("preparing"), total=None)

    def __enter__(self) -> _Progress:
        if self.show:
            self.progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self.show:
            self.progress.stop()

    def total(self, count: int) -> None:
        self.progress.update(self.task, total=count, description=tr("running cases"))

    def note(self, text: str) -> None:
        self.progress.update(self.task, description=untrusted(text))

    def hook(self, spec: CaseSpec, result: CaseResult | None) -> None:
        if result is None:
            self.progress.update(self.task, description=untrusted(spec.id))
        else:
            self.progress.advance(self.task)

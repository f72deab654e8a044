"""``pilot audit``: evidence a sceptic can check: ``export``/``verify`` bundles, ``trail``, ``monitor``, ``fsck``.

``pilot audit export ID -o bundle.zip`` gathers a consignment's evidence from its exporter and port into
a deterministic zip (``pilot.audit.bundle``); ``pilot audit verify bundle.zip`` checks all of it offline
against the pinned trust anchor (``pilot.audit.verify``). ``pilot audit trail ID`` prints the
consignment's story with what verified; ``pilot audit monitor`` watches every port's checkpoints for a
split view or a rewritten log (``pilot.audit.monitor``).

``pilot audit fsck --data-dir D --id cn-port-01`` rebuilds the port's Merkle tree from the stored
leaves and compares it with every stored checkpoint (``port_node.fsck``). The database is the node's
own: ``DATABASE_URL`` when set, else ``D/<id>.db``. The log key comes from the trust list in ``D``,
verified against the pinned anchor, never from the node. Exit 0 when clean, 1 naming the first
difference, 2 for bad usage.

Each prints its result as one JSON document on stdout with ``--format json`` (``--json`` for short).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from pilot.audit.wording import shown
from pilot.console import EXIT_FAILED, console, err_console, fail_usage, print_json, untrusted
from pilot.data_dir import default_data_dir
from pilot.language import tr
from pilot.output_format import FormatOpt, JsonFlagOpt, OutputFormat, wants_json
from pilot.tables import new_table

if TYPE_CHECKING:
    from pilot.audit.trail import Step

app = typer.Typer(
    help="Audit tools: evidence bundles verified offline, a consignment's trail, the log monitor, fsck.",
    no_args_is_help=True,
)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Sandbox directory (pilot init / pilot up); default $PILOT_DATA_DIR or ./pilot-data."
    ),
]


@app.command("export")
def export_command(
    consignment_id: Annotated[str, typer.Argument(help="The consignment id (= the submissionId at the port).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the bundle zip.")],
    data_dir: DataDir = None,
    wait_s: Annotated[
        float, typer.Option("--wait", help="Seconds to wait for the witnesses to cosign the latest checkpoint.")
    ] = 15.0,
    output_format: FormatOpt = OutputFormat.text,
) -> None:
    """Write an evidence bundle for one consignment: credentials, manifest, receipt, proofs, checkpoints,
    the status list versions the port's decision relied on (from the registry, status/<issuer>/<list>/<n>.json),
    and the exporter's EPCIS 2.0 document of its traceability events (epcis.json) when it has one.

    Needs the network running (the exporter's and the port's operator tokens are read from the data
    dir). The bundle can then be checked anywhere, offline, with `pilot audit verify`.
    """
    from pilot.audit.bundle import STATUS_DIR, build_bundle
    from pilot.audit.collect import collect_evidence
    from pilot.audit.errors import AuditError, NodeUnreachableError
    from pilot.audit.nodes import AuditNetwork

    directory = data_dir or default_data_dir()
    try:
        with AuditNetwork.open(directory) as network:
            files = collect_evidence(network, consignment_id, wait_s=wait_s)
    except NodeUnreachableError as exc:
        fail_usage(
            tr("{problem} (is the network up? `pilot status --data-dir {directory}`)", problem=exc, directory=directory)
        )
    except AuditError as exc:
        console.print(f"[red]{tr('cannot export')}[/] {untrusted(consignment_id)}: {untrusted(exc)}")
        raise typer.Exit(EXIT_FAILED) from exc
    data = build_bundle(files)
    output.write_bytes(data)
    status_lists = sum(1 for name in files if name.startswith(f"{STATUS_DIR}/"))
    if wants_json(output_format):
        print_json(
            {
                "consignmentId": consignment_id,
                "bundle": str(output),
                "bytes": len(data),
                "files": len(files) + 1,
                "statusListVersions": status_lists,
            }
        )
        return
    console.print(
        untrusted(
            tr(
                "wrote {path} ({size} bytes, {files} files, {versions} status list versions); "
                "check it with `pilot audit verify {path}`",
                path=output,
                size=len(data),
                files=len(files) + 1,
                versions=status_lists,
            )
        )
    )


@app.command("verify")
def verify_command(
    bundle: Annotated[Path, typer.Argument(help="An evidence bundle written by `pilot audit export`.")],
    trust_anchor: Annotated[
        Path | None,
        typer.Option("--trust-anchor", help="The pinned pilot-gov key; default <data dir>/trust-anchor.json."),
    ] = None,
    data_dir: DataDir = None,
    output_format: FormatOpt = OutputFormat.text,
    as_json: JsonFlagOpt = False,
) -> None:
    """Check an evidence bundle offline: signatures, digests, inclusion, consistency, cosignatures, the
    status lists the decision relied on (and that the decision agrees with them), that its epcis.json
    (if any) is exactly the EPCIS 2.0 form of the submission's traceability events, and its sealed
    credentials, without any key (their content is not checked; the signed manifest pins its digest).

    Uses no network. A bundle file above 64 MiB (pilot audit export writes well under 1 MiB) is refused
    unread, a trust anchor above 1 MiB too. Exit 0 when every check passed, 1 naming each failed check
    (or the size refused), 2 for bad usage.
    """
    from pilot.audit.verify import BUNDLE_OPENS, MAX_ANCHOR_BYTES, MAX_BUNDLE_BYTES, Check, verify_bundle
    from pilot.input_files import InputTooLargeError, read_bounded
    from schemas.errors import PilotSchemaError
    from schemas.jsonio import parse_json

    anchor_path = trust_anchor or (data_dir or default_data_dir()) / "trust-anchor.json"
    try:
        anchor = parse_json(read_bounded(anchor_path, MAX_ANCHOR_BYTES))
    except InputTooLargeError as exc:
        fail_usage(tr("cannot use the trust anchor: {problem}", problem=exc.message))
    except (OSError, PilotSchemaError) as exc:
        fail_usage(tr("cannot read the trust anchor {path}: {problem}", path=anchor_path, problem=exc))
    try:
        checks = verify_bundle(read_bounded(bundle, MAX_BUNDLE_BYTES), anchor)
    except InputTooLargeError as exc:
        checks = [Check(BUNDLE_OPENS, False, exc.message)]
    except OSError as exc:
        fail_usage(tr("cannot read {path}: {problem}", path=bundle, problem=exc))
    ok = all(check.ok for check in checks)
    if wants_json(output_format, as_json):
        print_json({"ok": ok, "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in checks]})
    else:
        title = untrusted(tr("{bundle}: offline checks", bundle=bundle.name))
        table = new_table(tr("check"), tr("result"), tr("detail"), title=title)
        for check in checks:
            result = f"[green]{tr('ok')}[/]" if check.ok else f"[red]{tr('FAILED')}[/]"
            table.add_row(untrusted(tr(check.name)), result, untrusted(shown(check.detail)))
        console.print(table)
        failed = [tr(c.name) for c in checks if not c.ok]
        if failed:
            console.print(f"[red]{tr('bundle does NOT verify')}[/]: " + untrusted("; ".join(failed)))
        else:
            console.print(f"[green]{tr('bundle verified')}[/]: {tr('every check passed, offline')}")
    if not ok:
        raise typer.Exit(EXIT_FAILED)


@app.command("fsck")
def fsck_command(
    node_id: Annotated[str, typer.Option("--id", help="The port's short id, e.g. cn-port-01.")],
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Sandbox directory (pilot init).")] = None,
    output_format: FormatOpt = OutputFormat.text,
    as_json: JsonFlagOpt = False,
) -> None:
    """Rebuild a port's tree from its stored leaves and compare it with every stored checkpoint."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    from node_core.database import make_engine
    from node_core.settings import NodeSettings
    from port_node.fsck import fsck
    from port_node.tables import LOG_HEAD
    from schemas.errors import VerificationError
    from schemas.identifiers import log_origin
    from schemas.trust import load_trust_list

    directory = data_dir or default_data_dir()
    settings = NodeSettings(node_id=node_id, data_dir=directory)
    try:
        registry = load_trust_list(settings.trust_list_path, settings.trust_anchor_path)
    except VerificationError as exc:
        fail_usage(tr("cannot use the trust list in {directory}: {problem}", directory=directory, problem=exc))
    keys = [key.public_key for key in registry.keys_of(node_id, "log")]
    if not keys:
        fail_usage(tr("the trust list publishes no log key for {node}", node=node_id))
    if settings.database_kind == "sqlite":
        database = make_url(settings.database_url).database or ""
        if not Path(database).is_file():
            fail_usage(
                tr("no database for {node} at {path} (set DATABASE_URL for PostgreSQL)", node=node_id, path=database)
            )
    engine = make_engine(settings.database_url)
    try:
        if not sa.inspect(engine).has_table(LOG_HEAD.name):
            fail_usage(tr("the database of {node} holds no port log", node=node_id))
        report = fsck(engine, log_origin(node_id), keys)
    finally:
        engine.dispose()

    if wants_json(output_format, as_json):
        print_json(
            {
                "node": node_id,
                "ok": report.ok,
                "leaves": report.leaves,
                "checkpoints": report.checkpoints,
                "submissions": report.submissions,
                "problem": report.problem,
            }
        )
    elif report.ok:
        counts = tr(
            "{leaves} leaves, {checkpoints} checkpoints, {submissions} submissions of {node}",
            leaves=report.leaves,
            checkpoints=report.checkpoints,
            submissions=report.submissions,
            node=node_id,
        )
        console.print(f"[green]{tr('clean')}[/]: {untrusted(counts)}")
    else:
        where = tr("difference in the log of {node}", node=node_id)
        console.print(f"[red]{untrusted(where)}[/]: {untrusted(report.problem)}")
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


@app.command("monitor")
def monitor_command(
    data_dir: DataDir = None,
    interval: Annotated[float, typer.Option("--interval", help="Seconds between passes.", min=0.1)] = 10.0,
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit.")] = False,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="Each pass as text (for people) or json (one JSON document).")
    ] = OutputFormat.text,
    as_json: JsonFlagOpt = False,
) -> None:
    """Watch every port's checkpoints: signatures, cosignatures, consistency; flag split views.

    Each pass fetches every port's checkpoint, verifies its signature and its witnesses' cosignatures,
    checks it extends the one seen before (kept in <data dir>/monitor/<port>.json) and agrees with what
    each witness holds. On a split view or a rewritten log it prints the evidence (both signed notes and
    the failing proof) and exits 1; otherwise it runs until interrupted (or once, with --once).
    """
    import time

    from pilot.audit.errors import AuditError
    from pilot.audit.monitor import check_port
    from pilot.audit.nodes import AuditNetwork
    from schemas.errors import VerificationError

    as_json = wants_json(output_format, as_json)
    directory = data_dir or default_data_dir()
    try:
        network = AuditNetwork.open(directory)
        trust = network.trust()
    except (AuditError, VerificationError) as exc:
        fail_usage(str(exc))
    with network:
        while True:
            reports = [check_port(network, trust, port) for port in network.ids("cn-port-")]
            if as_json:
                print_json({"ok": all(r.ok for r in reports), "ports": [r.as_json() for r in reports]})
            else:
                table = new_table(
                    tr("port"), tr("size"), tr("cosigned by"), tr("status"), title=tr("transparency logs")
                )
                for r in reports:
                    status = f"[green]{tr('ok')}[/]" if r.ok else f"[red]{untrusted(shown(r.message))}[/]"
                    size = str(r.size if r.size is not None else "-")
                    table.add_row(untrusted(r.port), size, untrusted(", ".join(r.cosigners) or "-"), status)
                console.print(table)
                for r in reports:
                    if not r.ok:
                        console.print(f"[bold red]{untrusted(r.port)}: {untrusted(shown(r.message))}[/]")
                        for item in r.evidence:
                            console.print(untrusted(shown(item)), soft_wrap=True)
            if not all(r.ok for r in reports):
                raise typer.Exit(EXIT_FAILED)
            if once:
                return
            time.sleep(interval)


class TrailFormat(StrEnum):
    """What ``pilot audit trail`` prints: the shared text and json, or one self-contained HTML page."""

    text = "text"
    json = "json"
    html = "html"


@app.command("trail")
def trail_command(
    consignment_id: Annotated[str, typer.Argument(help="The consignment id (= the submissionId at the port).")],
    data_dir: DataDir = None,
    output_format: Annotated[
        TrailFormat,
        typer.Option(
            "--format",
            help="Result as text (for people), json (one JSON document on stdout) or html (a self-contained page "
            "with the timeline and the farm maps).",
        ),
    ] = TrailFormat.text,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="With --format html: write the page here, not to stdout.")
    ] = None,
    as_json: JsonFlagOpt = False,
) -> None:
    """Print a consignment's story, farm to port decision, as a timeline where every step says if it verified.

    Credentials (issuer, key, time; a sealed one by the key it is sealed to), delivery attempts, the port's
    decision and reasons, the status list versions it relied on (from the registry), the log entry, the
    checkpoint and the witnesses' cosignatures, and the port's access log of the sealed credentials (who
    opened which, when). Needs the network running. Exit 1 if a step fails.

    With --format html the trail is one self-contained HTML page (no script, no external file) that adds
    the consignment's timeline, farm lots to the cosigned checkpoint, and a map of each farm drawn from
    its GeoJSON boundary; -o writes it to a file.
    """
    from pilot.audit.errors import AuditError, NodeUnreachableError
    from pilot.audit.nodes import AuditNetwork
    from pilot.audit.trail import build_trail
    from pilot.audit.trail_page import gather_story, trail_page_html

    page = output_format is TrailFormat.html and not as_json
    if output is not None and not page:
        fail_usage(tr("-o/--output writes the HTML page: give --format html with it"))
    directory = data_dir or default_data_dir()
    try:
        with AuditNetwork.open(directory) as network:
            steps = build_trail(network, consignment_id)
            story = gather_story(network, consignment_id) if page else None
    except NodeUnreachableError as exc:
        fail_usage(
            tr("{problem} (is the network up? `pilot status --data-dir {directory}`)", problem=exc, directory=directory)
        )
    except AuditError as exc:
        where = tr("no trail for {consignment}", consignment=consignment_id)
        console.print(f"[red]{untrusted(where)}[/]: {untrusted(exc)}")
        raise typer.Exit(EXIT_FAILED) from exc
    ok = all(step.verified is not False for step in steps)
    if story is not None:
        write_page(trail_page_html(consignment_id, steps, story), output)
    elif as_json or output_format is TrailFormat.json:
        print_json({"consignmentId": consignment_id, "ok": ok, "steps": [s.as_json() for s in steps]})
    else:
        print_trail(consignment_id, steps, console)
    if not ok:
        raise typer.Exit(EXIT_FAILED)


def write_page(page: str, output: Path | None) -> None:
    """The HTML page to ``output``, or as it is to stdout (no console: markup and width must not touch it)."""
    if output is None:
        sys.stdout.write(page)
        sys.stdout.flush()
        return
    try:
        output.write_text(page, encoding="utf-8")
    except OSError as exc:
        fail_usage(tr("cannot write {path}: {problem}", path=output, problem=exc))
    err_console.print(untrusted(tr("trail page: {path}", path=output)))


def print_trail(consignment_id: str, steps: Sequence[Step], out: Console) -> None:
    """The trail as a table (every cell whole, shown literally), then whether every step verified."""
    title = untrusted(tr("trail of {consignment}", consignment=consignment_id))
    table = new_table(tr("time"), tr("who"), tr("step"), tr("verified"), tr("detail"), title=title)
    marks = {True: f"[green]{tr('yes')}[/]", False: f"[red]{tr('NO')}[/]", None: "-"}
    for step in steps:
        actor = shown(step.actor)
        who = f"{actor} {step.actor_name}" if step.actor_name else actor
        cells = (untrusted(step.at or "-"), untrusted(who), untrusted(shown(step.what)))
        table.add_row(*cells, marks[step.verified], untrusted(shown(step.detail)))
    out.print(table)
    ok = all(step.verified is not False for step in steps)
    out.print(f"[green]{tr('every step verified')}[/]" if ok else f"[red]{tr('some steps did not verify')}[/]")

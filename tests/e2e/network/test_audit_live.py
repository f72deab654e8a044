"""Audit tools against a real network: export, offline verify, 50 byte flips, fork and rollback detection.

One network for the module (real processes: exporters, ports and the registry); the tests run in file
order and share it: cn-port-01's bundle is exported first (with the status list versions its decision
relied on, fetched from the registry), cn-port-02 is restored from an old backup, cn-port-03 is made to
serve a forked log, and the last test stops the network and verifies the bundle offline.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from typer.testing import CliRunner

from node_core.http_signatures import RequestSigner
from pilot.audit.bundle import EPCIS_FILE, build_bundle, read_bundle, status_member
from pilot.cli import app as pilot_app
from pilot.sandbox import DEFAULT_SEED, build_sandbox
from pilot.synthetic import Signer, build_world, plan_consignment, sign_consignment
from schemas.canonical import canonicalize
from schemas.merkle import leaf_hash
from tests.e2e.network.live_network import EXPORTER, LiveNetwork, start_live_network
from tests.support.epcis import gs1_validator, read_gs1_schema, schema_errors
from tests.support.self_contained import external_references

pytestmark = [pytest.mark.e2e]

ENV = {**{k: v for k, v in os.environ.items() if k != "PILOT_PEER_URLS"}, "COLUMNS": "200"}


def pilot(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``pilot`` command."""
    return subprocess.run(
        [sys.executable, "-m", "pilot.cli", *args], capture_output=True, text=True, timeout=120, env=ENV, cwd=cwd
    )


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNetwork]:
    network = start_live_network(
        tmp_path_factory.mktemp("audit-net"), ("cn-port-01", "cn-port-01", "cn-port-02", "cn-port-03")
    )
    yield network
    network.stop()


@pytest.fixture(scope="module")
def bundle(live: LiveNetwork) -> Path:
    """The bundle of the first consignment to cn-port-01 (receipt at size 1, latest checkpoint at 2)."""
    out = live.data_dir / "bundle.zip"
    result = pilot("audit", "export", live.first("cn-port-01"), "--data-dir", str(live.data_dir), "-o", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_export_is_deterministic(live: LiveNetwork, bundle: Path) -> None:
    again = live.data_dir / "again.zip"
    result = pilot("audit", "export", live.first("cn-port-01"), "--data-dir", str(live.data_dir), "-o", str(again))
    assert result.returncode == 0, result.stdout + result.stderr
    assert again.read_bytes() == bundle.read_bytes()


def test_trail_tells_the_story_and_every_step_verifies(live: LiveNetwork) -> None:
    result = pilot("audit", "trail", live.first("cn-port-01"), "--data-dir", str(live.data_dir), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    trail = orjson.loads(result.stdout)
    whats = " | ".join(step["what"] for step in trail["steps"])
    for expected in (
        "manifest",
        "credential 1",
        "delivery attempt 1",
        "decision: accepted",
        "log entry 0",
        "latest checkpoint",
    ):
        assert expected in whats, whats
    assert all(step["verified"] is not False for step in trail["steps"])
    relied_on = [step for step in trail["steps"] if step["what"].startswith("status list ")]
    assert relied_on and all(step["verified"] is True for step in relied_on), trail["steps"]


def test_trail_page_draws_the_timeline_and_the_farm_maps(live: LiveNetwork, tmp_path: Path) -> None:
    out = tmp_path / "trail.html"
    consignment = live.first("cn-port-01")
    args = ("audit", "trail", consignment, "--data-dir", str(live.data_dir), "--format", "html", "-o", str(out))
    result = pilot(*args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""  # the page went to the file
    page = out.read_text()
    assert "Every step verified." in page and consignment in page
    assert page.count('class="pilot-timeline"') == 1 and page.count('class="pilot-farm-map"') == 3
    for stage in ("farm_lot", "certificate", "manifest", "delivery", "decision", "log", "cosigned"):
        assert f'data-stage="{stage}"' in page, stage
    assert external_references(page) == []
    to_stdout = pilot("audit", "trail", consignment, "--data-dir", str(live.data_dir), "--format", "html")
    assert to_stdout.returncode == 0 and to_stdout.stdout.startswith("<!doctype html>"), to_stdout.stderr


def test_bundle_carries_the_status_lists_the_decision_relied_on(live: LiveNetwork, bundle: Path) -> None:
    files = read_bundle(bundle.read_bytes())
    subject = orjson.loads(files["receipt.json"])["credentialSubject"]
    assert subject["decision"] == "accepted"
    references = subject["statusLists"]
    members = {status_member(r["id"], r["sequence"]): r for r in references}
    assert references and sorted(n for n in files if n.startswith("status/")) == sorted(members)
    for name, reference in members.items():
        assert name is not None
        path = reference["id"].removeprefix("https://registry.pilot.example")
        served = httpx.get(f"{live.url('registry')}{path}/versions/{reference['sequence']}", timeout=5)
        assert served.status_code == 200 and files[name] == served.content

    anchor = str(live.data_dir / "trust-anchor.json")
    result = pilot("audit", "verify", str(bundle), "--trust-anchor", anchor, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    (row,) = [c for c in orjson.loads(result.stdout)["checks"] if c["name"] == "status lists"]
    assert row["ok"] and f"{len(references)} status list versions verified at receivedAt" in row["detail"], row

    name = sorted(members)[0]
    assert name is not None
    credential = orjson.loads(files[name])
    credential["credentialSubject"]["ttl"] += 1  # changed after the fact: the manifest is made anew to match
    tampered = bundle.parent / "tampered-status.zip"
    tampered.write_bytes(
        build_bundle({**{n: d for n, d in files.items() if n != "manifest.json"}, name: orjson.dumps(credential)})
    )
    result = pilot("audit", "verify", str(tampered), "--trust-anchor", anchor, "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    failed = {c["name"]: c["detail"] for c in orjson.loads(result.stdout)["checks"] if not c["ok"]}
    assert list(failed) == ["status lists"] and name in failed["status lists"], failed


@pytest.mark.reference
def test_bundle_carries_the_exporters_epcis_document(live: LiveNetwork, bundle: Path, reference_dir: Path) -> None:
    files = read_bundle(bundle.read_bytes())
    document = orjson.loads(files[EPCIS_FILE])
    assert schema_errors(gs1_validator(read_gs1_schema(reference_dir)), document) == []
    assert document["type"] == "EPCISDocument" and document["epcisBody"]["eventList"]
    consignment = live.first("cn-port-01")
    operator = {"Authorization": f"Bearer {live.token(EXPORTER)}"}
    served = httpx.get(f"{live.url(EXPORTER)}/v1/consignments/{consignment}/epcis", headers=operator, timeout=5)
    assert served.status_code == 200 and served.json() == document


def test_monitor_passes_on_an_honest_network(live: LiveNetwork) -> None:
    result = pilot("audit", "monitor", "--once", "--data-dir", str(live.data_dir))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "cn-port-02, cn-port-03" in result.stdout  # cn-port-01 cosigned by both witnesses
    assert (live.data_dir / "monitor" / "cn-port-03.json").is_file()


def _signed_submission(live: LiveNetwork, port: str, name: str) -> httpx.Response:
    keys = Signer(build_sandbox().keyrings).key(EXPORTER, "key-1")
    world = build_world(DEFAULT_SEED, EXPORTER)
    parts = plan_consignment(DEFAULT_SEED, world, f"t-{EXPORTER}-{name}", port, "rail")
    submission = sign_consignment(DEFAULT_SEED, parts, Signer(build_sandbox().keyrings)).submission
    with httpx.Client(auth=RequestSigner(keys.private_key, keys.verification_method), timeout=10) as client:
        return client.post(
            live.url(port) + "/v1/submissions",
            content=orjson.dumps(submission),
            headers={"Content-Type": "application/json"},
        )


def test_port_restored_from_an_old_backup_refuses_to_sign(live: LiveNetwork) -> None:
    port = "cn-port-02"
    database = live.data_dir / f"{port}.db"
    backup = live.data_dir / "backup.db"
    with sqlite3.connect(database) as source, sqlite3.connect(backup) as target:
        source.backup(target)  # size 1
    live.ship(port)  # size 2, cosigned by both witnesses
    live.network.stop_node(port)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    backup.rename(database)
    live.network.start_node(port)

    deadline = time.monotonic() + 30
    health: dict[str, Any] = {}
    while time.monotonic() < deadline:
        try:
            health = httpx.get(live.url(port) + "/health", timeout=5).json()
        except httpx.TransportError:  # the restarted process may still be binding its socket
            time.sleep(0.3)
            continue
        if not health["log"]["signing"]:
            break
        time.sleep(0.3)
    assert health, f"{port} never answered after the restore:\n{live.network.log_tail(port, 40)}"
    assert health["log"]["signing"] is False, health
    assert "backup" in health["log"]["problem"] and "size 2" in health["log"]["problem"]
    answer = _signed_submission(live, port, "after-restore")
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "LOG_UNAVAILABLE"


def _fork(database: Path) -> None:
    """Rewrite leaf 0 (decision flipped) and drop the checkpoints, so the restarted port signs a forked root."""
    with sqlite3.connect(database) as db:
        (data,) = db.execute("SELECT leaf_input FROM log_leaves WHERE leaf_index = 0").fetchone()
        entry = orjson.loads(data)
        entry["decision"] = "rejected" if entry["decision"] != "rejected" else "accepted"
        forged = canonicalize(entry)
        db.execute(
            "UPDATE log_leaves SET leaf_input = ?, leaf_hash = ? WHERE leaf_index = 0", (forged, leaf_hash(forged))
        )
        db.execute("DELETE FROM checkpoints")
        db.execute("DELETE FROM checkpoint_cosignatures")


def test_forked_log_is_flagged_by_witnesses_and_monitor(live: LiveNetwork) -> None:
    port = "cn-port-03"
    live.network.stop_node(port)
    _fork(live.data_dir / f"{port}.db")
    live.network.start_node(port)

    deadline = time.monotonic() + 45  # generous: the machine is shared, the port retries every 5 s
    evidence: list[dict[str, object]] = []
    while time.monotonic() < deadline and not evidence:
        answer = httpx.get(live.url("cn-port-01") + "/v1/witness/evidence", timeout=5).json()
        evidence = [e for e in answer["evidence"] if e["origin"] == "cn-port-03.pilot.example/log"]
        time.sleep(0.3)
    if not evidence:
        logs = (live.data_dir / "logs" / f"{port}.log").read_text()[-3000:]
        pytest.fail(f"witness cn-port-01 did not record the fork; {port}'s log ends with:\n{logs}")
    assert evidence[0]["kind"] == "split_view"
    assert evidence[0]["heldNote"] != evidence[0]["offeredNote"]
    # The forked checkpoint gets no cosignature.
    assert "/witness " not in httpx.get(live.url(port) + "/v1/log/checkpoint", timeout=5).text

    result = pilot("audit", "monitor", "--once", "--data-dir", str(live.data_dir))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "split view" in result.stdout
    assert result.stdout.count("cn-port-03.pilot.example/log\n1\n") >= 2  # both notes of size 1 printed


def test_verify_offline_then_every_single_byte_change_fails(live: LiveNetwork, bundle: Path) -> None:
    live.stop()
    anchor = live.data_dir / "trust-anchor.json"
    result = pilot("audit", "verify", str(bundle), "--trust-anchor", str(anchor), cwd=bundle.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "bundle verified" in result.stdout

    data = bundle.read_bytes()
    runner = CliRunner()
    mutant = bundle.parent / "mutant.zip"
    positions = sorted({int(i * (len(data) - 1) / 49) for i in range(50)})
    assert len(positions) == 50
    for position in positions:
        changed = bytearray(data)
        changed[position] ^= 0x01 if position % 2 else 0x80
        mutant.write_bytes(bytes(changed))
        outcome = runner.invoke(pilot_app, ["audit", "verify", str(mutant), "--trust-anchor", str(anchor)])
        assert outcome.exit_code == 1, f"byte {position}: {outcome.output}"
        assert "does NOT verify" in outcome.output, outcome.output

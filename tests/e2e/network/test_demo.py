"""``pilot demo`` end to end: real processes, the whole network, every fault case matched, exit 0."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from pilot.conformance.shared_schema import check_document
from pilot.documents import read_agreement_keys
from schemas.epcis import dte_credentials, epcis_document
from schemas.sealing import is_sealed, open_sealed_credential
from tests.support.epcis import gs1_enum, gs1_validator, read_gs1_schema, schema_errors
from tests.support.self_contained import external_references

#: A stored document and the keyAgreement private keys of the port that keeps it (they open its sealed credentials).
Stored = tuple[Any, dict[str, X25519PrivateKey]]


def _stored_documents(data_dir: Path) -> tuple[list[Stored], list[Stored]]:
    """Every submission content and every receipt kept in the ports' databases after the demo."""
    submissions: list[Stored] = []
    receipts: list[Stored] = []
    databases = sorted(data_dir.glob("cn-port-0*.db"))
    assert len(databases) >= 3, list(data_dir.rglob("*.db"))
    for database in databases:
        keys = read_agreement_keys(data_dir / "keys" / f"{database.stem}.pem")
        with sqlite3.connect(database) as connection:
            for content, receipt in connection.execute("SELECT content, receipt FROM submissions"):
                if content is not None:
                    submissions.append((json.loads(content), keys))
                receipts.append((json.loads(receipt), keys))
    return submissions, receipts


@pytest.mark.e2e
@pytest.mark.reference
def test_demo_passes_and_writes_a_report(tmp_path: Path, reference_dir: Path) -> None:
    report = tmp_path / "demo.html"
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pilot.cli",
            "demo",
            "--data-dir",
            str(tmp_path / "no-network-here"),
            "--report",
            str(report),
            "--keep",
            str(tmp_path / "kept"),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "HOME": str(tmp_path)},
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "demo passed" in result.stdout
    for exporter in ("ru-exp-01", "ru-exp-06"):
        assert exporter in result.stdout
    assert result.stdout.count("matched") >= 8
    assert "│ MISMATCH" not in result.stdout
    html = report.read_text()
    assert "Demo passed" in html and html.count("<details>") >= 40
    # Issue 16 item 5: a timeline and farm maps for each exporter and port (18) and each other kind, self-contained.
    assert html.count('class="pilot-timeline"') >= 18 and html.count('class="pilot-farm-map"') >= 36
    assert 'data-stage="cosigned"' in html and external_references(html) == []
    print(f"pilot demo took {elapsed:.1f} s")

    # Shared schema (docs/design.md §4): what the demo leaves in the ports' databases is the real shared schema,
    # sealed credentials included (opened with the keys of the port that keeps them).
    submissions, receipts = _stored_documents(tmp_path / "kept")
    assert len(submissions) >= 40 and len(receipts) >= len(submissions)
    findings = [
        (i, f.problem.code, f.problem.path)
        for i, (document, keys) in enumerate([*submissions, *receipts])
        for f in check_document(document, reference_dir, keys)
    ]
    # The tampered fault case is a signed record edited after signing: still the shared schema.
    assert findings == []
    sealed = [(c, keys) for document, keys in submissions for c in document["credentials"] if is_sealed(c)]
    assert sealed and all(open_sealed_credential(c, keys).credential for c, keys in sealed)  # so checked above

    # GS1 EPCIS 2.0: every traceability event the ports keep maps to a valid EPCIS document, CBV 2.0 values only.
    gs1 = read_gs1_schema(reference_dir)
    validator = gs1_validator(gs1)
    biz_steps, dispositions = set(gs1_enum(gs1, "bizStep")), set(gs1_enum(gs1, "disposition"))
    events: list[dict[str, Any]] = []
    for document, _ in submissions:
        dtes = dte_credentials([c for c in document["credentials"] if not is_sealed(c)])
        identifier = f"urn:pilot:epcis:{document['submissionId']}"
        mapped = epcis_document(dtes, document_id=identifier, created="2026-03-02T09:00:00Z")
        assert schema_errors(validator, mapped) == [], document["submissionId"]
        assert mapped["epcisBody"]["eventList"], document["submissionId"]  # each consignment has its events
        events += mapped["epcisBody"]["eventList"]
    assert {e.get("bizStep") for e in events} <= biz_steps
    assert {e["disposition"] for e in events if "disposition" in e} <= dispositions

    # Sealed at rest (docs/design.md §8): the demo's laboratory results (each naming its sample, "sample LAB-...")
    # went to cn-port-03 sealed; no byte of any file the nodes left (databases, logs) holds one in clear.
    assert "laboratory results, sealed to the port" in html
    leaked = [p for p in (tmp_path / "kept").rglob("*") if p.is_file() and b"sample LAB-" in p.read_bytes()]
    assert leaked == []

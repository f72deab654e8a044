"""Sealing's whole life on a real network, through the commands a participant runs (docs/keys.md).

An exporter ships laboratory results to cn-port-03 (its policy takes them only sealed); the port's operator
opens the stored credential; then cn-port-03 rotates its keyAgreement key (`pilot keys rotate`, `pilot trust
approve`) and destroys the old one (`pilot keys destroy`). Opening now fails, clearly, while the evidence
bundle of that consignment (`pilot audit export`) still verifies offline (`pilot audit verify`), and the
audit trail shows who opened what.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import orjson
import pytest

from pilot.demo.sealed_case import PORT, SealedCase
from schemas.identifiers import did_of
from tests.e2e.network.live_network import EXPORTER, LiveNetwork, start_live_network

pytestmark = [pytest.mark.e2e]

ENV = {**{k: v for k, v in os.environ.items() if k != "PILOT_PEER_URLS"}, "COLUMNS": "200"}
OLD_KEY = f"{did_of(PORT)}#key-4"


def pilot(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real ``pilot`` command."""
    return subprocess.run(
        [sys.executable, "-m", "pilot.cli", *args], capture_output=True, text=True, timeout=120, env=ENV
    )


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNetwork]:
    network = start_live_network(tmp_path_factory.mktemp("sealed-net"), ("cn-port-01",))
    yield network
    network.stop()


@pytest.fixture(scope="module")
def consignment(live: LiveNetwork) -> str:
    """A consignment of laboratory results from ru-exp-01 to cn-port-03, delivered."""
    case = SealedCase(live.scenario)
    shipment = case.ship(EXPORTER)
    live.scenario.wait([shipment], 60.0, "delivering")
    assert shipment.state in ("delivered", "delivered_with_warnings"), (shipment.state, shipment.detail)
    assert shipment.decision in ("accepted", "held_for_inspection"), shipment.reason_codes
    return shipment.consignment_id


def _operator(live: LiveNetwork) -> httpx.Client:
    return httpx.Client(base_url=live.url(PORT), headers={"Authorization": f"Bearer {live.token(PORT)}"}, timeout=10)


def _sealed_index(client: httpx.Client, consignment: str) -> int:
    listing = client.get(f"/v1/operator/submissions/{EXPORTER}/{consignment}/credentials")
    assert listing.status_code == 200, listing.text
    sealed = [c for c in listing.json()["credentials"] if c["sealed"]]
    assert len(sealed) == 1 and sealed[0]["kid"] == OLD_KEY, listing.json()
    return int(sealed[0]["index"])


def test_destroying_the_key_makes_the_content_unreadable_and_the_evidence_still_verifies(
    live: LiveNetwork, consignment: str
) -> None:
    with _operator(live) as client:
        index = _sealed_index(client, consignment)
        opened = client.post(
            f"/v1/operator/submissions/{EXPORTER}/{consignment}/credentials/{index}/open",
            headers={"X-Operator-Name": "Li Wei"},
        )
        assert opened.status_code == 200, opened.text
        assert opened.headers["cache-control"] == "no-store"
        assert "laboratoryResults" in opened.text

    data_dir = str(live.data_dir)
    rotated = pilot("keys", "rotate", "--id", PORT, "--purpose", "keyAgreement", "--data-dir", data_dir, "--json")
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    request = orjson.loads(rotated.stdout)["request"]
    approved = pilot("trust", "approve", request, "--data-dir", data_dir)
    assert approved.returncode == 0, approved.stdout + approved.stderr
    destroyed = pilot(
        "keys", "destroy", "--id", PORT, "--purpose", "keyAgreement", "--key", "key-4", "--yes", "--data-dir", data_dir
    )
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr

    # The running port follows its keyring file: no restart.
    deadline = time.monotonic() + 10
    with _operator(live) as client:
        while True:
            refused = client.post(f"/v1/operator/submissions/{EXPORTER}/{consignment}/credentials/{index}/open")
            if refused.status_code != 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert refused.status_code == 410, refused.text
        problem = refused.json()
        assert problem["code"] == "SEALED_KEY_DESTROYED"
        assert f"sealed to {OLD_KEY}, destroyed at " in problem["detail"]
        assert "can no longer be read" in problem["detail"]
        log = client.get(f"/v1/operator/submissions/{EXPORTER}/{consignment}/access-log").json()["entries"]
        assert [(e["operator"], e["outcome"]) for e in log][:1] == [("Li Wei", "opened")]
        assert log[-1]["outcome"] == "SEALED_KEY_DESTROYED"

    bundle = live.data_dir / "sealed-bundle.zip"
    exported = pilot("audit", "export", consignment, "--data-dir", data_dir, "-o", str(bundle))
    assert exported.returncode == 0, exported.stdout + exported.stderr
    verified = pilot(
        "audit", "verify", str(bundle), "--trust-anchor", str(live.data_dir / "trust-anchor.json"), "--json"
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    report = orjson.loads(verified.stdout)
    assert report["ok"] is True, report
    assert "sealed: content not checked" in verified.stdout

    trail = pilot("audit", "trail", consignment, "--data-dir", data_dir, "--json")
    assert trail.returncode == 0, trail.stdout + trail.stderr
    text = trail.stdout
    assert "Li Wei" in text and "SEALED_KEY_DESTROYED" in text

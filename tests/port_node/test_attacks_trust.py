"""Attacks on a port's availability and trust anchor (docs/reliability.md, attacks 4, 5 and 12), in process, no sockets.

- Item 4: a peer witness claims a larger tree of this port's log (``GET /v1/witness/latest`` or a 409
  naming a size) without a checkpoint signed by this port's own log key: the claim is ignored and
  counted, the port keeps signing. A real checkpoint of ours that is larger than the log (a restore from
  an old backup) still stops signing, and ``/health`` then says ``degraded`` with the reason.
- Item 5: a real rotation of ``pilot-gov``'s key with ``pilot keys rotate`` and ``pilot trust approve``;
  the restarted port keeps the announced key; a list signed by a revoked anchor key is refused, before
  and after a restart.
- Item 12: a list past its ``nextUpdate`` is not adopted; a held list that passes its ``nextUpdate``
  stops intake with 503 ``TRUST_LIST_STALE``.

The witness is an ``httpx.MockTransport`` driven through ``CosignatureCollector.gather`` (the background
thread is not started: ``ASGITransport`` runs no lifespan).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from typer.testing import CliRunner

from pilot.commands import keys as keys_commands
from pilot.commands import trust as trust_commands
from pilot.key_rotation import rotate_signing_key
from pilot.processes import node_health
from pilot.sandbox import pretty_json
from pilot.synthetic import Signer
from port_node.cosigning import WITNESS_SIZE_TYPE
from port_node.log import sign_checkpoint_note
from schemas.identifiers import log_origin
from schemas.jsonio import parse_json
from schemas.keyring import load_keyring
from schemas.time import format_time
from schemas.trust import sign_trust_list
from tests.port_node.port_harness import PORT_ID, PortHarness, fresh_submission, sandbox

pytestmark = [pytest.mark.anyio, pytest.mark.db]

ORIGIN = log_origin(PORT_ID)
WITNESS = "cn-port-02"
WITNESS_URL = "http://witness.test"
#: The largest size a witness can state in strict JSON (I-JSON): a claim the port must check, not one it cannot parse.
HUGE = 2**53 - 1
VM1 = "did:web:pilot.example:pilot-gov#key-1"
VM2 = "did:web:pilot.example:pilot-gov#key-2"

cli = typer.Typer()
cli.add_typer(trust_commands.app, name="trust")
cli.add_typer(keys_commands.app, name="keys")


# --- item 4: rollback claims ------------------------------------------------------------------------


def _note(size: int, *, signer: str = PORT_ID, label: str = "key-2", origin: str = ORIGIN) -> str:
    """A checkpoint note for ``origin`` at ``size`` (an arbitrary root), signed by ``signer``'s key ``label``."""
    key = Signer(sandbox().keyrings).key(signer, label).private_key
    return sign_checkpoint_note(origin, size, bytes(range(32)), key)


@dataclass(frozen=True)
class Claim:
    """What the witness answers: to ``GET /v1/witness/latest`` and, if given, a 409 size to add-checkpoint."""

    latest_size: Any
    latest_note: Callable[[], str | None]
    conflict_size: int | None = None
    latest_only_after_conflict: bool = False  # before its 409, the witness says it holds nothing


def _witness(claim: Claim, seen: list[str]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        if request.url.path == "/v1/witness/latest":
            if claim.latest_only_after_conflict and not any(s.startswith("POST") for s in seen):
                return httpx.Response(200, json={"origin": ORIGIN, "size": 0, "root": None, "note": None})
            return httpx.Response(
                200, json={"origin": ORIGIN, "size": claim.latest_size, "root": None, "note": claim.latest_note()}
            )
        if claim.conflict_size is not None:
            return httpx.Response(409, text=f"{claim.conflict_size}\n", headers={"content-type": WITNESS_SIZE_TYPE})
        return httpx.Response(403, json={"code": "FORBIDDEN"})

    return httpx.MockTransport(handle)


def _gather(harness: PortHarness, claim: Claim) -> list[str]:
    collector = harness.app.state.cosigning
    collector.peer_urls = lambda: {PORT_ID: "http://self.test", WITNESS: WITNESS_URL}
    seen: list[str] = []
    with httpx.Client(transport=_witness(claim, seen), base_url=WITNESS_URL) as client:
        collector.gather(client)
        collector.gather(client)  # a second round, as the thread does every few seconds
    return seen


FORGED_CLAIMS = {
    "latest: a huge size, no note": Claim(HUGE, lambda: None),
    "latest: a huge size, a note signed by the witness's own log key": Claim(HUGE, lambda: _note(HUGE, signer=WITNESS)),
    "latest: a huge size, our key but another origin": Claim(
        HUGE, lambda: _note(HUGE, origin="cn-port-02.pilot.example/log")
    ),
    "latest: a huge size, a note of ours signed with our witness key": Claim(HUGE, lambda: _note(HUGE, label="key-3")),
    "latest: a huge size, a note of ours for a smaller tree": Claim(HUGE, lambda: _note(0)),
    "latest: a size that is not a number": Claim("99999999999999999999", lambda: None),
    "latest: a size beyond strict JSON's integers": Claim(2**62, lambda: None),
    "409: a huge size, latest holds nothing": Claim(0, lambda: None, conflict_size=HUGE),
    "409: a size one larger, latest holds nothing": Claim(0, lambda: None, conflict_size=2),
}


@pytest.mark.parametrize("name", sorted(FORGED_CLAIMS))
async def test_a_forged_rollback_claim_does_not_halt_the_log(harness: PortHarness, name: str) -> None:
    assert (await harness.submit("ru-exp-01", fresh_submission("ru-exp-01", "before-claim"))).status_code == 201
    seen = _gather(harness, FORGED_CLAIMS[name])
    assert "GET /v1/witness/latest" in seen

    assert harness.port.log.signing_refusal is None
    response = await harness.submit("ru-exp-01", fresh_submission("ru-exp-01", "after-claim"))
    assert response.status_code == 201, response.text
    assert harness.app.state.cosigning.ignored_claims >= 1
    async with harness.client() as client:
        health = (await client.get("/health")).json()
        metrics = (await client.get("/metrics")).text
    assert health["status"] == "ok" and health["log"]["signing"] is True and health["reasons"] == [], health
    assert "pilot_port_rollback_claims_ignored" in metrics and "pilot_port_log_signing 1.0" in metrics


ROLLBACKS = {
    "latest: our own checkpoint, larger than the log": Claim(5, lambda: _note(5)),
    "409 naming a larger size, then our own checkpoint at latest": Claim(
        5, lambda: _note(5), conflict_size=5, latest_only_after_conflict=True
    ),
}


@pytest.mark.parametrize("name", sorted(ROLLBACKS))
async def test_a_checkpoint_signed_by_our_log_key_proves_a_rollback(harness: PortHarness, name: str) -> None:
    assert (await harness.submit("ru-exp-01", fresh_submission("ru-exp-01", "before-rollback"))).status_code == 201
    seen = _gather(harness, ROLLBACKS[name])
    assert seen.count("POST /v1/witness/add-checkpoint") == (1 if ROLLBACKS[name].conflict_size else 0), seen

    assert harness.port.log.signing_refusal is not None
    response = await harness.submit("ru-exp-01", fresh_submission("ru-exp-01", "after-rollback"))
    assert response.status_code == 503 and response.json()["code"] == "LOG_UNAVAILABLE", response.text
    async with harness.client() as client:
        answer = await client.get("/health")
        metrics = (await client.get("/metrics")).text
    health = answer.json()
    assert answer.status_code == 200
    assert health["status"] == "degraded" and health["log"]["signing"] is False, health
    assert any(r.startswith("LOG_UNAVAILABLE") and "backup" in r for r in health["reasons"]), health
    assert harness.app.state.cosigning.ignored_claims == 0
    assert "pilot_port_log_signing 0.0" in metrics


def test_the_launcher_counts_a_degraded_node_as_up() -> None:
    body = {"status": "degraded", "node": PORT_ID, "reasons": ["LOG_UNAVAILABLE: ..."]}
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
    with httpx.Client(transport=transport) as client:
        assert node_health(client, "http://port.test", PORT_ID) == body
        assert node_health(client, "http://port.test", "cn-port-02") is None


# --- item 5: rotation and revocation of pilot-gov's key -------------------------------------------------


def _approve(data_dir: Path, request: Path) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["trust", "approve", str(request), "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = parse_json((data_dir / "trust-list.json").read_bytes())
    return document


def _gov_key(data_dir: Path, label: str) -> Any:
    entries = load_keyring((data_dir / "keys" / "pilot-gov.pem").read_bytes())
    return next(e for e in entries if e.verification_method.endswith(f"#{label}"))


def _publish(data_dir: Path, document: dict[str, Any], label: str, edit: Callable[[dict[str, Any]], None]) -> int:
    """The next list after ``document`` with ``edit`` applied, signed by pilot-gov's ``label``; its sequence."""
    nxt = copy.deepcopy({k: v for k, v in document.items() if k != "proof"})
    nxt["sequence"] += 1
    nxt["id"] = f"urn:pilot:trust-list:{nxt['sequence']}"
    nxt["issued"] = format_time(datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5))
    edit(nxt)
    gov = _gov_key(data_dir, label)
    signed = sign_trust_list(nxt, gov.private_key, gov.verification_method, datetime.now(UTC).replace(microsecond=0))
    (data_dir / "trust-list.json").write_bytes(pretty_json(signed))
    return int(nxt["sequence"])


def _rotate_gov(harness: PortHarness, how: str) -> dict[str, Any]:
    """pilot-gov key-1 -> key-2; returns list 3 (signed by key-2). The port follows.

    ``cli``: with the real ``pilot keys rotate`` and ``pilot trust approve``; ``by hand``: the same lists
    signed here (list 2 by key-1 announcing key-2, list 3 by key-2), so the node's part is tested alone.
    """
    data_dir = harness.data_dir
    new, rotation = rotate_signing_key(data_dir, "pilot-gov")
    request = rotation.request_path
    if how == "cli":
        announcing = _approve(data_dir, request)
    else:
        key = parse_json(request.read_bytes())["key"]
        _publish(data_dir, sandbox().trust_list, "key-1", lambda d: d["participants"][-1]["keys"].append(key))
        announcing = parse_json((data_dir / "trust-list.json").read_bytes())
    assert announcing["sequence"] == 2 and announcing["proof"]["verificationMethod"] == VM1  # the OLD key signs
    assert new.verification_method in {k["id"] for k in announcing["participants"][-1]["keys"]}
    assert harness.port.trust.reload() and harness.port.trust.sequence == 2

    if how == "cli":
        request = rotate_signing_key(data_dir, "ru-exp-03")[1].request_path  # any later change: now signed by key-2
        by_key2 = _approve(data_dir, request)
    else:
        _publish(data_dir, announcing, "key-2", lambda d: None)
        by_key2 = parse_json((data_dir / "trust-list.json").read_bytes())
    assert by_key2["sequence"] == 3 and by_key2["proof"]["verificationMethod"] == VM2
    assert harness.port.trust.reload() and harness.port.trust.sequence == 3
    return by_key2


@pytest.mark.parametrize("how", ["cli", "by hand"])
async def test_a_restarted_port_keeps_an_announced_anchor_key(harness: PortHarness, how: str) -> None:
    _rotate_gov(harness, how)
    harness.restart()
    assert harness.port.trust.sequence == 3, harness.port.trust.last_error
    response = await harness.submit("ru-exp-01", fresh_submission("ru-exp-01", "after-gov-rotation"))
    assert response.status_code == 201, response.text
    # The next list, signed by key-2, is adopted by the restarted port too.
    result = CliRunner().invoke(cli, ["trust", "show", "--data-dir", str(harness.data_dir)])
    assert result.exit_code == 0, result.output
    request = rotate_signing_key(harness.data_dir, "ru-exp-04")[1].request_path
    assert _approve(harness.data_dir, request)["proof"]["verificationMethod"] == VM2
    assert harness.port.trust.reload() and harness.port.trust.sequence == 4


def _revoke_key1(document: dict[str, Any]) -> None:
    gov = next(p for p in document["participants"] if p["id"] == "pilot-gov")
    key1 = next(k for k in gov["keys"] if k["id"] == VM1)
    key1["revokedAt"] = format_time(datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1))


@pytest.mark.parametrize("how", ["cli", "by hand"])
async def test_a_list_signed_by_a_revoked_anchor_key_is_refused_before_and_after_restart(
    harness: PortHarness, how: str
) -> None:
    by_key2 = _rotate_gov(harness, how)
    revoking = _publish(harness.data_dir, by_key2, "key-2", _revoke_key1)
    assert harness.port.trust.reload() and harness.port.trust.sequence == revoking
    revocation = (harness.data_dir / "trust-list.json").read_bytes()

    # The stolen key-1 signs a newer list (which even drops the revocation): refused, the port keeps 4.
    forged = _publish(harness.data_dir, by_key2, "key-1", lambda d: d.update(sequence=9, id="urn:pilot:trust-list:9"))
    assert forged == 9
    assert not harness.port.trust.reload()
    assert harness.port.trust.sequence == revoking
    assert harness.port.trust.last_error is not None and harness.port.trust.last_error.startswith("KEY_REVOKED")
    assert (await harness.submit("ru-exp-01", fresh_submission("ru-exp-01", "forged-list"))).status_code == 201

    # After a restart the revocation is still known: the forged file gives the port no list at all.
    harness.restart()
    assert harness.port.trust.sequence is None
    assert "KEY_REVOKED" in (harness.port.trust.last_error or "")
    response = await harness.submit("ru-exp-01", fresh_submission("ru-exp-01", "forged-after-restart"))
    assert response.status_code == 503 and response.json()["code"] == "TRUST_LIST_STALE", response.text
    async with harness.client() as client:
        health = (await client.get("/health")).json()
    assert health["status"] == "degraded" and any(r.startswith("TRUST_LIST_STALE") for r in health["reasons"])

    (harness.data_dir / "trust-list.json").write_bytes(revocation)
    assert harness.port.trust.reload() and harness.port.trust.sequence == revoking


# --- item 12: nextUpdate -------------------------------------------------------------------------------


def _expire(document: dict[str, Any]) -> None:
    document["issued"] = "2026-01-02T00:00:00Z"
    document["nextUpdate"] = "2026-02-01T00:00:00Z"


async def test_a_list_past_its_next_update_is_not_adopted(harness: PortHarness) -> None:
    sequence = _publish(harness.data_dir, sandbox().trust_list, "key-1", _expire)
    assert sequence == 2
    assert not harness.port.trust.reload()
    assert harness.port.trust.sequence == 1
    assert (harness.port.trust.last_error or "").startswith("TRUST_LIST_STALE")
    response = await harness.submit("ru-exp-01", fresh_submission("ru-exp-01", "expired-list-offered"))
    assert response.status_code == 201, response.text


async def test_a_held_list_past_its_next_update_stops_intake_until_a_fresh_one(harness: PortHarness) -> None:
    trust = harness.port.trust
    later = trust.current().next_update + timedelta(seconds=1)
    trust.clock = lambda: later
    response = await harness.submit("ru-exp-01", fresh_submission("ru-exp-01", "held-list-expired"))
    assert response.status_code == 503 and response.json()["code"] == "TRUST_LIST_STALE", response.text
    async with harness.client() as client:
        answer = await client.get("/health")
    assert answer.status_code == 200
    health = answer.json()
    assert health["status"] == "degraded" and health["log"]["signing"] is True
    assert any(r.startswith("TRUST_LIST_STALE") and "due to be replaced" in r for r in health["reasons"]), health

    _publish(harness.data_dir, sandbox().trust_list, "key-1", lambda d: d.update(nextUpdate="2040-01-01T00:00:00Z"))
    assert trust.reload() and trust.sequence == 2
    response = await harness.submit("ru-exp-01", fresh_submission("ru-exp-01", "fresh-list"))
    assert response.status_code == 201, response.text
    async with harness.client() as client:
        assert (await client.get("/health")).json()["status"] == "ok"


def test_the_published_vectors_list_is_adopted_and_fresh(harness: PortHarness) -> None:
    assert harness.port.trust.sequence == 1 and harness.port.trust.problem is None
    assert json.loads((harness.data_dir / "trust-list.json").read_bytes())["nextUpdate"] >= "2036-"

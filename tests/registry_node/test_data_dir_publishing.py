"""``pilot.status_publishing``: a data directory's status lists, each signed by its issuer, into the registry app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from node_core.status_publish import publish_status_list
from pilot.fixture_status import ISSUERS
from pilot.sandbox import STATUS_LISTS_DIR, write_sandbox
from pilot.status_files import status_list_files
from pilot.status_publishing import issuer_key, publish_data_dir_lists
from schemas.digest import credential_digest
from schemas.errors import KeyFormatError
from tests.registry_node.registry_harness import BASE_URL, RegistryHarness, blocking_client, sandbox, signed_list

pytestmark = [pytest.mark.db]

#: Generation-0 lists of a default sandbox: a revocation list per issuer, and a suspension list for
#: the certifiers and ru-vet.
GENERATION_0 = len(ISSUERS) + 3


def test_every_list_of_the_data_dir_is_published_once(registry: RegistryHarness) -> None:
    files = status_list_files(registry.data_dir)
    assert len([f for f in files if f.stem.endswith("-0")]) == GENERATION_0
    with blocking_client(registry.app) as client:
        first = publish_data_dir_lists(registry.data_dir, BASE_URL, client=client)
        again = publish_data_dir_lists(registry.data_dir, BASE_URL, client=client)
    assert [o.path for o in first] == files
    assert all(o.ok for o in first), [o.error for o in first if not o.ok]
    assert {o.published.status for o in first if o.published} == {201}
    assert {o.published.status for o in again if o.published} == {200}  # publishing again is harmless
    for outcome in first:
        credential = json.loads(outcome.path.read_text())
        assert outcome.published is not None and outcome.published.digest == credential_digest(credential)
        assert (outcome.issuer, outcome.list_id) == (outcome.path.parent.name, outcome.path.stem)


@pytest.mark.anyio
async def test_the_registry_serves_what_was_published(registry: RegistryHarness) -> None:
    with blocking_client(registry.app) as client:
        publish_data_dir_lists(registry.data_dir, BASE_URL, client=client)
    for path in status_list_files(registry.data_dir):
        served = await registry.get(f"/v1/status/{path.parent.name}/{path.stem}")
        assert served.status_code == 200
        assert served.json() == json.loads(path.read_text())


def test_encrypted_keys_are_read_with_the_passphrase(
    registry: RegistryHarness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "locked"
    write_sandbox(sandbox(), locked, passphrase=b"correct horse")
    monkeypatch.setenv("PILOT_KEY_PASSPHRASE", "wrong")
    with blocking_client(registry.app) as client:
        refused = publish_data_dir_lists(locked, BASE_URL, client=client)
        assert refused and not any(o.ok for o in refused)
        assert all("no key to sign with" in str(o.error) for o in refused)
        monkeypatch.setenv("PILOT_KEY_PASSPHRASE", "correct horse")
        published = publish_data_dir_lists(locked, BASE_URL, client=client)
    assert all(o.ok for o in published), [o.error for o in published]


def test_a_bad_file_is_reported_and_the_others_still_go(registry: RegistryHarness) -> None:
    lists = registry.data_dir / STATUS_LISTS_DIR
    (lists / "cert-01" / "broken.json").write_text("{not json")
    (lists / "nobody").mkdir()
    (lists / "nobody" / "stray.json").write_text(json.dumps({"id": "https://example.org/list"}))
    (registry.data_dir / "keys" / "ru-vet.pem").unlink()
    with blocking_client(registry.app) as client:
        outcomes = {
            o.path.relative_to(lists).as_posix(): o
            for o in publish_data_dir_lists(registry.data_dir, BASE_URL, client=client)
        }
    assert "cannot read" in str(outcomes["cert-01/broken.json"].error)
    assert "not a status list credential" in str(outcomes["nobody/stray.json"].error)
    assert "no key to sign with" in str(outcomes["ru-vet/revocation-0.json"].error)
    failed = {name for name, o in outcomes.items() if not o.ok}
    assert failed == {
        "cert-01/broken.json",
        "nobody/stray.json",
        "ru-vet/revocation-0.json",
        "ru-vet/suspension-0.json",
    }


def test_a_file_older_than_the_registrys_version_is_superseded_not_failed(registry: RegistryHarness) -> None:
    path = registry.data_dir / STATUS_LISTS_DIR / "cert-01" / "revocation-0.json"
    newer = signed_list("cert-01", "revocation-0", 2, set_indexes=[1, 99])
    with blocking_client(registry.app) as client:
        publish_status_list(client, BASE_URL, newer, issuer_key(registry.data_dir, "cert-01"))
        outcomes = {o.path: o for o in publish_data_dir_lists(registry.data_dir, BASE_URL, client=client)}
    assert outcomes[path].superseded and outcomes[path].ok and outcomes[path].published is None
    assert all(o.ok and not o.superseded for p, o in outcomes.items() if p != path)


def test_the_signing_key_is_the_first_authentication_key(tmp_path: Path) -> None:
    write_sandbox(sandbox(), tmp_path)
    # ru-exp-02's keyring holds key-1, then a revoked key-0: the first authentication key is key-1.
    assert issuer_key(tmp_path, "ru-exp-02").verification_method.endswith("#key-1")
    with pytest.raises(KeyFormatError):
        issuer_key(tmp_path, "pilot-gov")  # an assertion key only

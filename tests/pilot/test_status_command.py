"""``pilot status`` (the network table, as before) and ``pilot status revoke|suspend|reinstate|show``.

docs/design.md §§9, 12. Through typer's runner in process; the nodes they talk to are the real apps, in
process behind a synchronous transport (``Routed``), or a real registry process (the ``e2e`` test).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import anyio
import anyio.from_thread
import httpx
import pytest
from typer.testing import CliRunner, Result

from node_core.settings import NodeSettings
from pilot.cli import app
from pilot.issuer_state import DataDirStatus
from pilot.synthetic import Signer, build_world
from schemas.keyring import load_keyring
from tests.exporter_node.status_support import REGISTRY_URL, StatusSetting, registry_over
from tests.support.databases import fresh_database
from tests.support.processes import start_registry

runner = CliRunner()
EXPORTER_URL = "http://ru-exp-01.test"


def pilot(*arguments: str) -> Result:
    return runner.invoke(app, list(arguments))


def words(result: Result) -> str:
    """The output with every run of whitespace made one space (the console wraps long lines)."""
    return " ".join(result.output.split())


def certificate(data_dir: Path, issuer: str = "cert-01", name: str = "cert.json") -> tuple[str, Path]:
    """A conformity certificate signed by ``issuer`` with generation-1 status (``DataDirStatus``), as a file."""
    keyrings = {issuer: load_keyring((data_dir / "keys" / f"{issuer}.pem").read_bytes(), None)}
    signer = Signer(keyrings, status=DataDirStatus(data_dir))
    credential_id = f"urn:pilot:certificate:{name}"
    document = signer.issue(issuer, "DigitalConformityCredential", {"id": credential_id}, credential_id=credential_id)
    path = data_dir.parent / name
    path.write_text(json.dumps(document))
    return credential_id, path


# -- the network table, unchanged ---------------------------------------------------------------------


def test_status_without_a_subcommand_is_still_the_network_table(tmp_path: Path) -> None:
    result = pilot("status", "--data-dir", str(tmp_path))
    assert result.exit_code == 1 and "No network recorded" in result.output
    as_json = pilot("status", "--data-dir", str(tmp_path), "--json")
    assert as_json.exit_code == 1 and json.loads(as_json.stdout) == {"running": False, "nodes": {}, "overview": None}


# -- certifiers and ru-vet: kept in the data dir ------------------------------------------------------


def test_suspend_reinstate_and_revoke_a_certificate_without_a_registry(data_dir: Path) -> None:
    credential_id, path = certificate(data_dir)
    suspended = pilot("status", "suspend", "--issuer", "cert-01", str(path), "--data-dir", str(data_dir), "--json")
    assert suspended.exit_code == 0, suspended.output
    answer = json.loads(suspended.stdout)
    assert answer["credential"] == credential_id and answer["changed"] is True
    assert answer["status"] == {"revocation": False, "suspension": True}
    assert answer["list"]["sequence"] == 2 and answer["list"]["published"] is False
    kept = json.loads((data_dir / "status-lists" / "cert-01" / "suspension-1.json").read_text())
    assert kept["sequence"] == 2

    reinstated = pilot("status", "reinstate", "--issuer", "cert-01", credential_id, "--data-dir", str(data_dir))
    assert reinstated.exit_code == 0 and "reinstated by cert-01" in reinstated.output
    revoked = pilot("status", "revoke", "--issuer", "cert-01", credential_id, "--data-dir", str(data_dir))
    assert revoked.exit_code == 0 and "revoked by cert-01" in revoked.output


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (("revoke", "--issuer", "cert-01", "urn:never:issued"), "allocated no"),
        (("revoke", "--issuer", "cert-02", "FILE"), "not by cert-02"),
        (("revoke", "--issuer", "cn-port-01", "urn:x"), "not an issuer"),
        (("show", "urn:never:issued"), "no issuer known"),
    ],
)
def test_bad_usage_exits_2_with_a_clear_message(data_dir: Path, arguments: tuple[str, ...], says: str) -> None:
    _, path = certificate(data_dir)
    named = [str(path) if a == "FILE" else a for a in arguments]
    result = pilot("status", *named, "--data-dir", str(data_dir))
    assert result.exit_code == 2, result.output
    assert says in words(result)


def test_show_needs_a_registry(data_dir: Path) -> None:
    _, path = certificate(data_dir)
    result = pilot("status", "show", str(path), "--data-dir", str(data_dir))
    assert result.exit_code == 2 and "no registry is known" in words(result)


# -- in process: the exporter's operator API and the registry ----------------------------------------


class Routed(httpx.BaseTransport):
    """A synchronous transport that hands each request to the ASGI app of its origin, on the portal's loop.

    ``tamper(request, response_body)`` may rewrite an answer's body (a registry that serves a bad list).
    """

    def __init__(
        self,
        portal: anyio.from_thread.BlockingPortal,
        apps: dict[str, Any],
        tamper: Callable[[httpx.Request, bytes], bytes] | None = None,
    ) -> None:
        self.portal = portal
        self.apps = apps
        self.tamper = tamper

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        origin = f"{request.url.scheme}://{request.url.netloc.decode()}"
        target = self.apps.get(origin)
        if target is None:
            raise httpx.ConnectError("nothing listens there", request=request)
        body = request.read()

        async def send() -> httpx.Response:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=target)) as client:
                answer = await client.request(request.method, request.url, headers=request.headers, content=body)
                return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

        response: httpx.Response = self.portal.call(send)
        if self.tamper is not None:
            content = self.tamper(request, response.content)
            response = httpx.Response(response.status_code, headers=response.headers, content=content)
        return response


@pytest.fixture
def in_process(
    tmp_path: Path, data_dir: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Any]]:
    """``start(tamper=None)``: ru-exp-01 (lifespan running) and the registry, in process; the command reaches both."""
    with ExitStack() as stack:

        def start(tamper: Callable[[httpx.Request, bytes], bytes] | None = None) -> Any:
            registry_url = stack.enter_context(fresh_database(tmp_path, "registry"))
            registry = registry_over(data_dir, registry_url)
            stack.callback(registry.close)
            settings = NodeSettings(
                node_id="ru-exp-01", data_dir=data_dir, database_url=database_url, retry_base_s=0.05
            )
            setting = StatusSetting(settings, registry)
            portal = stack.enter_context(anyio.from_thread.start_blocking_portal())
            exporter = stack.enter_context(portal.wrap_async_context_manager(setting.exporter()))
            portal.call(exporter.published)
            apps = {EXPORTER_URL: exporter.app, REGISTRY_URL: registry.app}
            monkeypatch.setattr(
                "pilot.commands.status._client", lambda: httpx.Client(transport=Routed(portal, apps, tamper))
            )
            monkeypatch.setenv("PILOT_PEER_URLS", f"ru-exp-01={EXPORTER_URL},registry={REGISTRY_URL}")
            return portal, exporter

        yield start


def _farm_record(portal: Any, exporter: Any) -> str:
    farm = build_world("agri-export-pilot-2026", "ru-exp-01").farms[0]
    response = portal.call(functools.partial(exporter.client.post, "/v1/farms", json=farm))
    assert response.status_code == 201, response.text
    return str(response.json()["credentialId"])


@pytest.mark.db
def test_an_exporter_record_is_revoked_through_its_api_and_shown_from_the_registry(
    data_dir: Path, in_process: Callable[..., Any]
) -> None:
    portal, exporter = in_process()
    record_id = _farm_record(portal, exporter)
    revoked = pilot("status", "revoke", "--issuer", "ru-exp-01", record_id, "--data-dir", str(data_dir), "--json")
    assert revoked.exit_code == 0, revoked.output
    listed = json.loads(revoked.stdout)["list"]
    assert (listed["sequence"], listed["published"]) == (2, True)

    refused = pilot("status", "reinstate", "--issuer", "ru-exp-01", record_id, "--data-dir", str(data_dir))
    assert refused.exit_code == 2 and "revoke it instead" in words(refused)

    shown = pilot("status", "show", record_id, "--data-dir", str(data_dir), "--json")
    assert shown.exit_code == 0, shown.output
    [entry] = json.loads(shown.stdout)["entries"]
    assert entry["statusPurpose"] == "revocation" and entry["set"] is True
    assert entry["since"]["sequence"] == 2
    assert [(v["sequence"], v["set"]) for v in entry["versions"]] == [(1, False), (2, True)]
    text = pilot("status", "show", record_id, "--data-dir", str(data_dir))
    assert text.exit_code == 0 and "revoked since version 2" in words(text)


@pytest.mark.db
def test_show_fails_when_a_version_served_does_not_verify(data_dir: Path, in_process: Callable[..., Any]) -> None:
    def tamper(request: httpx.Request, body: bytes) -> bytes:
        if request.url.path.endswith("/versions/2"):
            document = json.loads(body)
            document["credentialSubject"]["ttl"] = 600_000  # the proof no longer covers what is served
            return json.dumps(document).encode()
        return body

    portal, exporter = in_process(tamper)
    record_id = _farm_record(portal, exporter)
    assert pilot("status", "revoke", "--issuer", "ru-exp-01", record_id, "--data-dir", str(data_dir)).exit_code == 0
    shown = pilot("status", "show", record_id, "--data-dir", str(data_dir), "--json")
    assert shown.exit_code == 1, shown.output
    [entry] = json.loads(shown.stdout)["entries"]
    assert entry["versions"][1]["problem"].startswith("does not verify") and entry["versions"][1]["set"] is None


# -- against a real registry process ------------------------------------------------------------------


@pytest.mark.e2e
def test_a_certificate_suspended_and_reinstated_as_a_real_registry_sees_it(data_dir: Path, tmp_path: Path) -> None:
    credential_id, path = certificate(data_dir, "cert-01")
    with start_registry(data_dir) as registry:
        suspended = pilot(
            "status",
            "suspend",
            "--issuer",
            "cert-01",
            str(path),
            "--data-dir",
            str(data_dir),
            "--registry",
            registry.url,
            "--json",
        )
        assert suspended.exit_code == 0, suspended.output
        assert json.loads(suspended.stdout)["list"]["published"] is True

        # from the file alone: no data dir (the trust list comes from the registry, checked against the anchor)
        elsewhere = tmp_path / "no-data-dir"
        shown = pilot("status", "show", str(path), "--data-dir", str(elsewhere), "--registry", registry.url, "--json")
        assert shown.exit_code == 0, shown.output
        entries = {e["statusPurpose"]: e for e in json.loads(shown.stdout)["entries"]}
        assert entries["suspension"]["set"] is True and entries["suspension"]["since"]["sequence"] == 2
        assert entries["revocation"]["set"] is False
        # by its id: the entries cert-01's state in the data dir allocated to it
        by_id = pilot(
            "status",
            "show",
            credential_id,
            "--data-dir",
            str(data_dir),
            "--registry",
            registry.url,
            "--json",
        )
        assert by_id.exit_code == 0, by_id.output
        assert {e["statusPurpose"]: e["set"] for e in json.loads(by_id.stdout)["entries"]} == {
            "revocation": False,
            "suspension": True,
        }

        reinstated = pilot(
            "status",
            "reinstate",
            "--issuer",
            "cert-01",
            credential_id,
            "--data-dir",
            str(data_dir),
            "--registry",
            registry.url,
        )
        assert reinstated.exit_code == 0, reinstated.output
        text = pilot("status", "show", str(path), "--data-dir", str(elsewhere), "--registry", registry.url)
        assert text.exit_code == 0, text.output
        assert "not suspended (reinstated at version 3" in words(text)
        assert "not revoked" in words(text)

"""The dashboard's operator cookie is per node, and the token leaves the address after the first load.

docs/reliability.md, attack 10: every port set one cookie name on 127.0.0.1. Cookies are scoped by host, not by
port, so a browser sent cn-port-01's token to every local node, and opening cn-port-02's dashboard
overwrote it: cn-port-01's dashboard was logged out. The token also stayed in the address bar (and the
history). Two ports share one cookie jar here, as one browser does; no sockets (``httpx.ASGITransport``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from node_core.settings import NodeSettings
from pilot.sandbox import build_sandbox, write_sandbox
from port_node.app import create_app

pytestmark = pytest.mark.anyio

PORTS = {"cn-port-01": "http://127.0.0.1:8101", "cn-port-02": "http://127.0.0.1:8102"}


@pytest.fixture
def apps(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """cn-port-01 and cn-port-02 over one sandbox data dir, each with its own SQLite database."""
    data_dir = tmp_path / "data"
    write_sandbox(build_sandbox(), data_dir)
    built = {
        node: create_app(NodeSettings(node_id=node, data_dir=data_dir, database_url=f"sqlite:///{tmp_path / node}.db"))
        for node in PORTS
    }
    yield built
    for app in built.values():
        app.state.node.close()


def token(app: Any) -> str:
    settings = app.state.node.settings
    return str((settings.tokens_dir / settings.node_id).read_text().strip())


async def get(app: Any, node: str, path: str, jar: httpx.Cookies, *, follow: bool = False) -> httpx.Response:
    """``GET path`` on ``node`` with the shared cookie jar (updated from the answer, as a browser does)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=PORTS[node], cookies=jar, follow_redirects=follow
    ) as client:
        response = await client.get(path)
        jar.update(client.cookies)
        return response


async def test_two_ports_on_one_host_keep_their_own_operator_cookies(apps: dict[str, Any]) -> None:
    jar = httpx.Cookies()
    for node, app in apps.items():  # open each dashboard link, as a browser does
        opened = await get(app, node, f"/?token={token(app)}", jar, follow=True)
        assert opened.status_code == 200, opened.text
    # Opening cn-port-02's dashboard did not log cn-port-01's out: each reads its own cookie.
    for node, app in apps.items():
        page = await get(app, node, "/", jar)
        assert page.status_code == 200, (node, page.text)
        summary = await get(app, node, "/v1/dashboard/summary", jar)
        assert summary.status_code == 200 and summary.json()["port"] == node
    assert {cookie.name for cookie in jar.jar} == {"pilot_token_cn-port-01", "pilot_token_cn-port-02"}


async def test_the_first_load_sets_a_node_cookie_and_redirects_without_the_token(apps: dict[str, Any]) -> None:
    for node, app in apps.items():
        first = await get(app, node, f"/?token={token(app)}", httpx.Cookies())
        assert first.status_code == 303, first.text
        assert first.headers["location"] == "/"
        cookie = first.headers["set-cookie"]
        assert cookie.startswith(f"pilot_token_{node}={token(app)};")
        for attribute in ("Path=/", "HttpOnly", "SameSite=strict"):
            assert attribute.lower() in cookie.lower()


async def test_the_token_leaves_the_address_and_other_parameters_stay(apps: dict[str, Any]) -> None:
    app = apps["cn-port-01"]
    answer = await get(app, "cn-port-01", f"/?tamper=1&token={token(app)}", httpx.Cookies())
    assert answer.status_code == 303
    assert answer.headers["location"] == "/?tamper=1"
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["referrer-policy"] == "no-referrer"


async def test_another_nodes_cookie_or_a_wrong_token_opens_nothing(apps: dict[str, Any]) -> None:
    one, two = apps["cn-port-01"], apps["cn-port-02"]
    jar = httpx.Cookies()
    await get(two, "cn-port-02", f"/?token={token(two)}", jar)
    assert (await get(one, "cn-port-01", "/", jar)).status_code == 401
    jar.set("pilot_token_cn-port-01", token(two), domain="127.0.0.1")
    assert (await get(one, "cn-port-01", "/", jar)).status_code == 401
    wrong = await get(one, "cn-port-01", "/?token=wrong", httpx.Cookies())
    assert wrong.status_code == 401 and "set-cookie" not in wrong.headers

"""Every link ``pilot up`` prints opens a working page (docs/reliability.md, attack 18).

``pilot up`` once printed a ``/?token=`` dashboard link for all nine nodes, and the six exporters' answered
404. Now a port's and an exporter's link is its dashboard (which sets the node's cookie and redirects to drop
the token): the page answers, every script it loads answers, and so does the JSON it reads, with the cookie
alone. The registry, which has no dashboard at all (a JSON API), is linked to its API docs, and the line
says why.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pilot.network_plan import REGISTRY_ID
from pilot.participants import EXPORTER_IDS, PORT_IDS
from pilot.processes import pilot_argv
from tests.support.processes import free_base_port, network_data_dir

pytestmark = [pytest.mark.e2e]

LINK = re.compile(r"^\s+(?P<node>[a-z0-9-]+)\s+(?P<url>https?://\S+)\s*(?P<note>.*)$")


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data dir whose processes are stopped after the test, whatever happened."""
    with network_data_dir(tmp_path / "pilot-data") as directory:
        yield directory


def test_every_link_pilot_up_prints_opens_a_working_page(data_dir: Path) -> None:
    base = free_base_port()
    started = subprocess.run(
        pilot_argv("up", "--data-dir", str(data_dir), "--base-port", str(base), "--detach"),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ, "COLUMNS": "300"},
    )
    assert started.returncode == 0, started.stdout + started.stderr
    links = {m["node"]: (m["url"], m["note"]) for line in started.stdout.splitlines() if (m := LINK.match(line))}
    assert set(links) == {*PORT_IDS, *EXPORTER_IDS, REGISTRY_ID}, started.stdout
    answers = {}
    for node, (url, _) in links.items():
        with httpx.Client(follow_redirects=True, timeout=10) as client:  # a browser: cookies, redirects
            answers[node] = client.get(url)
    assert {node: a.status_code for node, a in answers.items() if a.status_code != 200} == {}
    for node, (url, note) in links.items():
        assert "token=" not in str(answers[node].url)
        if node == REGISTRY_ID:
            assert url.endswith("/docs") and "no dashboard" in note and "token=" not in url
            continue
        title, data = ("Exporter dashboard", "overview") if node in EXPORTER_IDS else ("Port dashboard", "summary")
        assert "?token=" in url and note == "dashboard" and f"<title>{title}</title>" in answers[node].text
        _assert_the_page_works(url, answers[node].text, f"/v1/dashboard/{data}")


def _assert_the_page_works(link: str, page: str, data_path: str) -> None:
    """The dashboard at ``link``, opened as a browser does: every script and style sheet it loads answers, and
    its JSON answers with the node's cookie alone (no token in any address after the first)."""
    assets = re.findall(r'(?:src|href)="(/dashboard/[^"]+)"', page)
    assert len(assets) >= 4, page  # the style sheet, the shared scripts, the page's own
    with httpx.Client(follow_redirects=True, timeout=10) as client:
        opened = client.get(link)
        base = str(opened.url).rstrip("/")
        for path in [*assets, data_path]:
            answer = client.get(base + path)
            assert answer.status_code == 200, (base + path, answer.status_code, answer.text[:300])
    assert httpx.get(base + data_path, timeout=10).status_code == 401  # it was the node's cookie that opened it

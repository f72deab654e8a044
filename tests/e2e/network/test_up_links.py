"""Every link ``pilot up`` prints answers 200 (docs/reliability.md, attack 18).

``pilot up`` printed a ``/?token=`` dashboard link for all nine nodes, and the six exporters' answered
404: exporters have no dashboard yet. A port's link is its dashboard (which sets the node's cookie and
redirects to drop the token); an exporter's is its API documentation, and the line says why; so is the
registry's, which has no dashboard at all (a JSON API).
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


def test_every_link_pilot_up_prints_answers_200(data_dir: Path) -> None:
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
        if node in EXPORTER_IDS:
            assert url.endswith("/docs") and "no dashboard yet" in note
        elif node == REGISTRY_ID:
            assert url.endswith("/docs") and "no dashboard" in note and "token=" not in url
        else:
            assert "?token=" in url and "Port dashboard" in answers[node].text

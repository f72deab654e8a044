"""End to end: ``pilot init``, then ``pilot node registry`` as a real process, lists published over real HTTP.

The test support's ``start_registry`` (which the port tests use) and the compose deployment's one-shot
publisher (``python -m pilot.status_publishing``) are exercised as they are used.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from node_core.status_publish import PublishRefused, publish_status_list
from pilot.status_files import status_list_files
from pilot.status_publishing import issuer_key
from schemas.codes import Code
from tests.registry_node.registry_harness import signed_list
from tests.support.processes import node_env, pilot_init, start_registry

pytestmark = pytest.mark.e2e


def test_a_registry_process_holds_the_data_dirs_lists_and_takes_new_versions(tmp_path: Path) -> None:
    data_dir = pilot_init(tmp_path / "data")
    files = status_list_files(data_dir)
    assert files
    with start_registry(data_dir) as registry, httpx.Client(base_url=registry.url, timeout=10) as client:
        health = client.get("/health").json()
        assert (health["node"], health["role"], health["database"]) == ("registry", "trust_list_operator", "sqlite")
        for path in files:
            served = client.get(f"/v1/status/{path.parent.name}/{path.stem}")
            assert served.status_code == 200 and served.json() == json.loads(path.read_text())
            assert served.headers["etag"].startswith('"sha-256:')

        newer = signed_list("cert-02", "revocation-0", 2, set_indexes=[40])
        published = publish_status_list(client, registry.url, newer, issuer_key(data_dir, "cert-02"))
        assert (published.status, published.sequence) == (201, 2)
        with pytest.raises(PublishRefused) as caught:
            publish_status_list(client, registry.url, newer, issuer_key(data_dir, "cert-01"))
        assert caught.value.code == Code.FORBIDDEN

        # The compose deployment's one-shot publisher, against the running registry: everything is held.
        command = [
            sys.executable,
            "-m",
            "pilot.status_publishing",
            "--data-dir",
            str(data_dir),
            "--registry",
            registry.url,
        ]
        done = subprocess.run(command, env=node_env(), capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        # Every file is held, cert-02's revocation-0 too: its version 1 is kept beside the newer version 2.
        assert done.stdout.count("already held") == len(files), done.stdout

        # Restarted on the same database: every version is still there, and publishing again is harmless.
        registry.restart()
        history = client.get(f"{registry.url}/v1/status/cert-02/revocation-0/history").json()
        assert [v["sequence"] for v in history["versions"]] == [1, 2]

"""Status list credentials we publish verify and decode with code written by others (issue 14's acceptance).

``tests/interop/status_list_check.mjs`` is a Node.js program on Node's own Ed25519 and zlib, the
``canonicalize`` package (RFC 8785) and the ``multiformats`` package (multibase): it verifies the
eddsa-jcs-2022 proof and decodes the bitstring with the algorithms of the specifications, sharing no code
with ``schemas/``. ``scripts/test-deps.sh`` installs its packages (``npm ci``).
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pilot.sandbox import build_sandbox
from schemas.issue import secure
from schemas.status_list import status_list_credential
from tests.support.files import VECTORS

INTEROP = Path(__file__).resolve().parents[1] / "interop"
CHECK = INTEROP / "status_list_check.mjs"
TRUST_LIST = VECTORS / "trust-list.json"


def _node_check(credential: Path) -> dict[str, Any]:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed: run scripts/test-deps.sh"
    assert (INTEROP / "node_modules" / "canonicalize").is_dir(), "run scripts/test-deps.sh (npm ci in tests/interop)"
    done = subprocess.run(
        [node, str(CHECK), str(credential), str(TRUST_LIST)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize(
    "name", ["cert-01/revocation-0.json", "cert-01/suspension-0.json", "ru-exp-01/revocation-0.json"]
)
def test_published_vector_lists_verify_and_decode_in_node(name: str) -> None:
    result = _node_check(VECTORS / "status" / name)
    assert result["verified"] is True
    assert result["entries"] == 131_072
    expected = {"cert-01/revocation-0.json": [1], "cert-01/suspension-0.json": [2]}.get(name, [])
    assert result["set"] == expected


def test_the_tampered_list_vector_fails_in_node() -> None:
    result = _node_check(VECTORS / "invalid" / "credential-status-list-tampered.json")
    assert result["verified"] is False


def test_a_list_with_many_bits_set_decodes_to_the_same_bits_in_node(tmp_path: Path) -> None:
    sandbox = build_sandbox()
    key = sandbox.keyrings["cert-02"][0]
    chosen = [*random.Random(14).sample(range(131_072), 300), 0, 131_071]
    now = datetime.now(UTC).replace(microsecond=0)
    credential = status_list_credential(
        issuer_id="cert-02",
        issuer_name="Certification Body Two (fictional)",
        list_name="suspension-1",
        purpose="suspension",
        sequence=7,
        set_indexes=chosen,
        valid_from=now,
        valid_until=now + timedelta(days=30),
    )
    path = tmp_path / "list.json"
    path.write_text(json.dumps(secure(credential, key.private_key, key.verification_method)))
    result = _node_check(path)
    assert result["verified"] is True
    assert result["set"] == sorted(set(chosen))
    assert result["purpose"] == "suspension"

"""node_core.durable_files: whole-file replacement, and read-modify-write cycles serialised across processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from node_core.durable_files import locked, replace_durably, update_locked

ROOT = Path(__file__).resolve().parents[2]

_APPEND = """
import sys
from pathlib import Path
from node_core.durable_files import update_locked
path, mark, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for _ in range(count):
    update_locked(path, lambda data: data + mark.encode() + b"\\n")
"""


def test_replace_sets_the_mode_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "keys" / "port.pem"
    replace_durably(target, b"one", mode=0o600)
    replace_durably(target, b"two", mode=0o600)
    assert target.read_bytes() == b"two"
    assert target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["port.pem"]


def test_a_failed_change_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    target = tmp_path / "keyring.pem"
    target.write_bytes(b"before")

    def refuse(_: bytes) -> bytes:
        raise ValueError("no such key")

    with pytest.raises(ValueError, match="no such key"):
        update_locked(target, refuse)
    assert target.read_bytes() == b"before"


def test_processes_changing_one_file_at_once_lose_no_change(tmp_path: Path) -> None:
    target = tmp_path / "keyring.pem"
    target.write_bytes(b"")
    workers, each = 4, 25
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _APPEND, str(target), f"w{w}", str(each)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(workers)
    ]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    lines = target.read_bytes().split()
    assert sorted(lines) == sorted(f"w{w}".encode() for w in range(workers) for _ in range(each))


def test_another_process_waits_for_the_lock(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    with locked(target):
        waiting = subprocess.Popen(
            [sys.executable, "-c", _APPEND, str(target), "late", "1"], cwd=ROOT, stderr=subprocess.PIPE, text=True
        )
        with pytest.raises(subprocess.TimeoutExpired):
            waiting.wait(timeout=1.0)  # blocked on the lock held here
        target.write_bytes(b"held\n")
    _, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
    assert target.read_bytes() == b"held\nlate\n"

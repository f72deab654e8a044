"""``pilot up``/``status``/``down`` and the launcher API: the plan, network.json, and the ten real processes."""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from pilot.cli import app
from pilot.launcher import PortsBusyError, busy_ports, start_network, stop_network
from pilot.network_file import NetworkRecord, ProcessEntry, read_record, write_record
from pilot.network_plan import REGISTRY_ID, database_name, database_url_for, plan_nodes, planned_ports
from pilot.participants import EXPORTER_IDS, PORT_IDS
from pilot.processes import pid_alive, pilot_argv
from pilot.sandbox import STATUS_LISTS_DIR
from schemas.jsonld import CONTEXTS_DIR, context_index
from tests.support.processes import free_base_port, network_data_dir, processes_mentioning

runner = CliRunner()
NODE_IDS = {*PORT_IDS, *EXPORTER_IDS, REGISTRY_ID}


def run_pilot(*arguments: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real ``pilot`` command in a child process."""
    return subprocess.run(pilot_argv(*arguments), capture_output=True, text=True, timeout=timeout, check=False)


# --- the plan: pure --------------------------------------------------------------------------------------


def test_plan_follows_design_ports() -> None:
    ports = {spec.node_id: spec.port for spec in plan_nodes(8100)}
    assert ports == {
        "cn-port-01": 8101, "cn-port-02": 8102, "cn-port-03": 8103,
        "ru-exp-01": 8111, "ru-exp-02": 8112, "ru-exp-03": 8113,
        "ru-exp-04": 8114, "ru-exp-05": 8115, "ru-exp-06": 8116,
        "registry": 8120,
    }  # fmt: skip
    assert planned_ports(8100)[8100] == "overview"
    assert {spec.kind for spec in plan_nodes() if spec.node_id.startswith("cn-")} == {"port"}
    assert [spec.kind for spec in plan_nodes() if spec.node_id == REGISTRY_ID] == ["registry"]


def test_plan_rejects_a_base_port_without_room() -> None:
    with pytest.raises(ValueError, match="no room"):
        plan_nodes(65530)
    with pytest.raises(ValueError, match="no room"):
        plan_nodes(65516)  # room for the exporters (up to +16), none for the registry (+20)
    assert plan_nodes(65515)[-1].port == 65535


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("postgresql+psycopg://postgres@127.0.0.1:5432/{id}", "postgresql+psycopg://postgres@127.0.0.1:5432/cn-port-01"),
        ("postgresql+psycopg://postgres@127.0.0.1:5432/{db}", "postgresql+psycopg://postgres@127.0.0.1:5432/pilot_cn_port_01"),
    ],
)  # fmt: skip
def test_database_url_template(template: str, expected: str) -> None:
    assert database_url_for(template, "cn-port-01") == expected
    assert database_name("ru-exp-06") == "pilot_ru_exp_06"


def test_database_url_template_must_name_the_node() -> None:
    with pytest.raises(ValueError, match="own database"):
        database_url_for("postgresql+psycopg://postgres@127.0.0.1/shared", "cn-port-01")


# --- network.json and stale state -----------------------------------------------------------------------


def test_network_file_round_trip_is_what_nodes_read(tmp_path: Path) -> None:
    from node_core.network import read_network_file

    record = NetworkRecord(
        nodes={"cn-port-01": ProcessEntry("http://127.0.0.1:8101", 4242, "port", "logs/cn-port-01.log")},
        overview=ProcessEntry("http://127.0.0.1:8100", 4243, "overview"),
        base_port=8100,
    )
    write_record(tmp_path, record)
    assert read_network_file(tmp_path / "network.json") == {"cn-port-01": "http://127.0.0.1:8101"}
    again = read_record(tmp_path)
    assert again is not None and again.nodes == record.nodes and again.overview == record.overview
    assert [p.name for p in tmp_path.iterdir()] == ["network.json"]  # no temporary file left behind


def test_down_cleans_up_stale_entries(tmp_path: Path) -> None:
    dead_pid = subprocess.Popen([sys.executable, "-c", "pass"])
    dead_pid.wait()
    write_record(tmp_path, NetworkRecord(nodes={"cn-port-01": ProcessEntry("http://127.0.0.1:1", dead_pid.pid)}))
    result = runner.invoke(app, ["down", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "not running" in result.output
    assert not (tmp_path / "network.json").exists()
    assert stop_network(tmp_path) == {}


def test_status_without_a_network_fails(tmp_path: Path) -> None:
    result = runner.invoke(app, ["status", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    result = runner.invoke(app, ["status", "--data-dir", str(tmp_path), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"running": False, "nodes": {}, "overview": None}


def test_busy_port_is_named_and_nothing_starts(tmp_path: Path) -> None:
    base = free_base_port()
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", base + 12))
        blocker.listen()
        with pytest.raises(PortsBusyError) as caught:
            start_network(tmp_path / "data", base)
        assert caught.value.busy == {base + 12: "ru-exp-02"}
        result = runner.invoke(app, ["up", "--data-dir", str(tmp_path / "data"), "--base-port", str(base), "--detach"])
    assert result.exit_code == 2
    assert str(base + 12) in result.output and "ru-exp-02" in result.output
    assert not (tmp_path / "data").exists()  # refused before init


# --- real processes ------------------------------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data dir whose processes are stopped after the test, whatever happened."""
    with network_data_dir(tmp_path / "pilot-data") as directory:
        yield directory


@pytest.mark.e2e
def test_up_status_down(data_dir: Path) -> None:
    base = free_base_port()
    started = run_pilot("up", "--data-dir", str(data_dir), "--base-port", str(base), "--detach")
    assert started.returncode == 0, started.stdout + started.stderr
    assert f"http://127.0.0.1:{base + 1}/?token=" in started.stdout

    document = json.loads((data_dir / "network.json").read_text())
    assert set(document["nodes"]) == NODE_IDS
    for spec in plan_nodes(base):
        entry = document["nodes"][spec.node_id]
        assert entry["url"] == spec.url
        assert pid_alive(entry["pid"])
        assert (data_dir / "logs" / f"{spec.node_id}.log").is_file()
    assert document["overview"]["url"] == f"http://127.0.0.1:{base}"

    status = runner.invoke(app, ["status", "--data-dir", str(data_dir), "--json"])
    assert status.exit_code == 0, status.output
    health = json.loads(status.stdout)
    assert health["running"] is True
    assert all(node["up"] and node["trustListSequence"] is not None for node in health["nodes"].values())
    assert {node["database"] for node in health["nodes"].values()} == {"sqlite"}
    assert health["nodes"][REGISTRY_ID]["kind"] == "registry"

    # The registry holds every status list of the data dir: pilot up published them once it was healthy.
    lists = sorted((data_dir / STATUS_LISTS_DIR).glob("*/*.json"))
    assert lists and f"Status lists published to the registry: {len(lists)} of {len(lists)}" in started.stdout
    registry = document["nodes"][REGISTRY_ID]["url"]
    for path in lists:
        served = httpx.get(f"{registry}/v1/status/{path.parent.name}/{path.stem}", timeout=10)
        assert served.status_code == 200 and served.json() == json.loads(path.read_text())

    # Every node serves the pilot's JSON-LD contexts (docs/design.md §4), byte for byte.
    for node_id, entry in document["nodes"].items():
        index = httpx.get(f"{entry['url']}/contexts/index.json", timeout=10)
        assert index.status_code == 200 and index.json() == context_index(), node_id
        for name in context_index().values():
            served = httpx.get(f"{entry['url']}/contexts/{name}", timeout=10)
            assert served.status_code == 200 and served.content == (CONTEXTS_DIR / name).read_bytes(), node_id

    pids = [entry["pid"] for entry in document["nodes"].values()] + [document["overview"]["pid"]]
    down = runner.invoke(app, ["down", "--data-dir", str(data_dir)])
    assert down.exit_code == 0, down.output
    assert not any(pid_alive(pid) for pid in pids)
    assert not (data_dir / "network.json").exists()
    assert runner.invoke(app, ["status", "--data-dir", str(data_dir)]).exit_code == 1


@pytest.mark.e2e
def test_a_node_that_cannot_start_is_reported_and_nothing_is_left(data_dir: Path) -> None:
    from pilot.commands.init import initialise

    initialise(data_dir)
    broken = "cn-port-02"
    (data_dir / f"{broken}.db").mkdir()  # its SQLite database cannot be opened
    (data_dir / "keys" / f"{broken}.pem").write_text("not a key\n")  # nor its key read
    base = free_base_port()
    result = run_pilot("up", "--data-dir", str(data_dir), "--base-port", str(base), "--detach", "--timeout", "60")
    assert result.returncode == 1, result.stdout + result.stderr
    assert broken in result.stderr
    assert not (data_dir / "network.json").exists()
    assert processes_mentioning(str(data_dir)) == []
    assert not busy_ports(planned_ports(base))


@pytest.mark.e2e
@pytest.mark.db
@pytest.mark.postgres
def test_python_api_on_postgresql(data_dir: Path) -> None:
    """``start_network`` with a database URL template: databases created, nodes on PostgreSQL, all stopped."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    from pilot.launcher import network_health

    url = os.environ["PILOT_TEST_DATABASE_URL"]  # the `postgres` mark deselects this test when it is unset
    prefix = f"t{random.getrandbits(32):08x}_"
    rendered = make_url(url).set(database=prefix + "DATABASE").render_as_string(hide_password=False)
    template = rendered.replace(prefix + "DATABASE", prefix + "{db}")  # make_url would escape the braces
    admin = make_url(url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    try:
        with start_network(data_dir, free_base_port(), database_url_template=template, overview=False) as network:
            assert set(network.urls) == NODE_IDS
            health = network_health(data_dir)
            assert health["running"] is True
            assert {node["database"] for node in health["nodes"].values()} == {"postgresql"}
            pids = list(network.pids().values())
        assert not any(pid_alive(pid) for pid in pids)
        assert not (data_dir / "network.json").exists()
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            for node_id in NODE_IDS:
                name = prefix + database_name(node_id)
                connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

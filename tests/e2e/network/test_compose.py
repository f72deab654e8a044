"""``docker-compose.yml``: its structure, the Compose validator's verdict, and its services run as local processes.

There is no Docker engine here, so the last test does what the file says without containers: the init
service's command makes the sandbox, the postgres init script makes the databases (prefixed, on the local
PostgreSQL of ``PILOT_TEST_DATABASE_URL``), and each node service's command runs with its environment, the
service hostnames mapped to loopback and port 8000 remapped to a free port, until its own healthcheck passes;
then the one-shot ``status-lists`` service publishes the sandbox's status lists to the registry.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy.engine import make_url

from node_core.settings import parse_peer_urls
from pilot.network_plan import database_name, plan_nodes
from pilot.processes import pilot_argv, spawn_logged, stop_pids, tail

ROOT = Path(__file__).resolve().parents[3]
COMPOSE_FILE = ROOT / "docker-compose.yml"
INIT_SQL_DIR = ROOT / "deploy" / "postgres-init"
NODES = {spec.node_id: spec for spec in plan_nodes(8100)}
CONTAINER_PORT = 8000
CREATE_DATABASE = re.compile(r"^\s*CREATE DATABASE\s+(\w+)\s*;", re.MULTILINE | re.IGNORECASE)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def init_script_databases() -> list[str]:
    """The database names the postgres init scripts create, in order."""
    return [
        name for script in sorted(INIT_SQL_DIR.glob("*.sql")) for name in CREATE_DATABASE.findall(script.read_text())
    ]


# --- structure -----------------------------------------------------------------------------------------


def test_services_are_ten_nodes_postgres_init_and_the_list_publisher(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {*NODES, "postgres", "init", "status-lists"}
    assert "registry" in NODES


def test_the_list_publisher_waits_for_the_registry(compose: dict[str, Any]) -> None:
    publisher = compose["services"]["status-lists"]
    assert publisher["image"] == compose["services"]["registry"]["image"]
    assert publisher["depends_on"] == {"registry": {"condition": "service_healthy"}}
    assert publisher["restart"] == "no" and "pilot-data:/data" in publisher["volumes"]
    command = " ".join(publisher["entrypoint"])
    assert "-m pilot.status_publishing --data-dir /data --registry http://registry:8000" in command


@pytest.mark.parametrize("node_id", sorted(NODES))
def test_node_service(compose: dict[str, Any], node_id: str) -> None:
    service = compose["services"][node_id]
    spec = NODES[node_id]
    assert service["image"] == compose["services"]["init"]["image"]  # one image for every node
    assert service["command"] == [
        "node", spec.kind, "--id", node_id, "--data-dir", "/data", "--listen", f"0.0.0.0:{CONTAINER_PORT}"
    ]  # fmt: skip
    assert service["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "init": {"condition": "service_completed_successfully"},
    }
    assert service["healthcheck"]["test"][0] == "CMD"
    assert f":{CONTAINER_PORT}/health" in " ".join(service["healthcheck"]["test"])
    assert service["ports"] == [f"127.0.0.1:{spec.port}:{CONTAINER_PORT}"]  # docs/design.md §6 defaults
    assert "pilot-data:/data" in service["volumes"]

    environment = service["environment"]
    # A port's worker processes come from the host's PILOT_PORT_WORKERS (default one); other nodes are one process.
    assert environment.get("PILOT_PORT_WORKERS") == ("${PILOT_PORT_WORKERS:-1}" if spec.kind == "port" else None)
    database_url = make_url(environment["DATABASE_URL"])
    assert database_url.drivername == "postgresql+psycopg"
    assert (database_url.host, database_url.database) == ("postgres", database_name(node_id))
    peers = parse_peer_urls(environment["PILOT_PEER_URLS"])
    assert peers == {peer: f"http://{peer}:{CONTAINER_PORT}" for peer in NODES}
    # Signed requests are bound to the node (docs/design.md §4): the name peers call it by, and its published port.
    origins = environment["PILOT_PUBLIC_ORIGINS"].split(",")
    assert origins == [
        f"http://{node_id}:{CONTAINER_PORT}",
        f"http://127.0.0.1:{spec.port}",
        f"http://localhost:{spec.port}",
    ]


def test_one_database_per_node(compose: dict[str, Any]) -> None:
    created = init_script_databases()
    assert sorted(created) == sorted(database_name(node_id) for node_id in NODES)
    urls = {make_url(compose["services"][n]["environment"]["DATABASE_URL"]).database for n in NODES}
    assert len(urls) == len(NODES)
    postgres = compose["services"]["postgres"]
    assert "./deploy/postgres-init:/docker-entrypoint-initdb.d:ro" in postgres["volumes"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])


def test_init_service_makes_the_sandbox_once(compose: dict[str, Any]) -> None:
    init = compose["services"]["init"]
    assert "pilot init --data-dir /data" in " ".join(init["entrypoint"])
    assert "pilot-data:/data" in init["volumes"]
    assert set(compose["volumes"]) >= {"pilot-data"}


def test_dockerfile() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert text.count("\nFROM ") + text.startswith("FROM ") == 1 and "FROM python:3.11-slim" in text
    assert text.index("pip install -r requirements.lock") < text.index("pip install --no-deps .")
    user = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert user and user[-1] not in ("root", "0")
    assert 'ENTRYPOINT ["pilot"]' in text


# --- the Compose validator ----------------------------------------------------------------------------


def _validator() -> list[str] | None:
    """``docker-compose config -q`` (Debian's docker-compose) if present, else check-jsonschema's Compose schema."""
    if shutil.which("docker-compose"):
        return ["docker-compose", "-f", str(COMPOSE_FILE), "config", "-q"]
    if shutil.which("check-jsonschema"):
        return ["check-jsonschema", "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)]
    return None


def test_compose_file_validates() -> None:
    command = _validator()
    if command is None:
        message = "neither docker-compose nor check-jsonschema is installed"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


# --- the services as local processes --------------------------------------------------------------------


def _local_postgres_url() -> str:
    """``PILOT_TEST_DATABASE_URL`` if set and reachable; skipped when unset, failed under CI when unreachable."""
    import psycopg

    url = os.environ.get("PILOT_TEST_DATABASE_URL")
    if not url:  # tests/conftest.py deselects the tests that get here when it is unset
        pytest.fail("PILOT_TEST_DATABASE_URL is not set")
    admin = make_url(url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    try:
        psycopg.connect(admin, connect_timeout=5).close()
    except psycopg.Error as exc:
        pytest.fail(f"PILOT_TEST_DATABASE_URL is set but unreachable: {exc}")
    return url


@pytest.fixture
def local_databases() -> Iterator[tuple[str, str]]:
    """(local URL, prefix): the init script run on the local server with every name prefixed; dropped after."""
    import psycopg
    from psycopg import sql

    url = _local_postgres_url()
    prefix = f"t{uuid.uuid4().hex[:8]}_"
    admin = make_url(url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    names = [prefix + name for name in init_script_databases()]
    with psycopg.connect(admin, autocommit=True) as connection:
        for script in sorted(INIT_SQL_DIR.glob("*.sql")):
            text = CREATE_DATABASE.sub(lambda m: f"CREATE DATABASE {prefix}{m[1]};", script.read_text())
            for statement in text.split(";"):  # one by one: CREATE DATABASE refuses a multi-statement batch
                code = [line for line in statement.splitlines() if line.strip() and not line.strip().startswith("--")]
                if code:
                    connection.execute("\n".join(code).encode())
    try:
        yield url, prefix
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            for name in names:
                connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for probe in sockets:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()


def _pilot(*arguments: str) -> list[str]:
    """The image's ``ENTRYPOINT ["pilot"]`` with these arguments, from this virtualenv."""
    script = Path(sys.executable).with_name("pilot")
    return [str(script), *arguments] if script.exists() else pilot_argv(*arguments)


def _local(value: str, data_dir: Path, ports: dict[str, int]) -> str:
    """A container-side string made local: /data, service hostnames and port 8000 remapped."""
    value = value.replace("0.0.0.0:8000", "127.0.0.1:{port}").replace("/data", str(data_dir))
    for service, port in ports.items():
        value = value.replace(f"http://{service}:{CONTAINER_PORT}", f"http://127.0.0.1:{port}")
    return value


@pytest.mark.e2e
@pytest.mark.db
def test_services_run_as_local_processes(
    compose: dict[str, Any], local_databases: tuple[str, str], tmp_path: Path
) -> None:
    local_url, prefix = local_databases
    data_dir = tmp_path / "data"
    services = compose["services"]
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("PILOT_") and k != "DATABASE_URL"}
    base_env.update(PATH=path, PYTHONUNBUFFERED="1")

    # The one-shot init service, twice: the second run must keep the sandbox and still succeed.
    init_command = [_local(part, data_dir, {}) for part in services["init"]["entrypoint"]]
    for _ in range(2):
        done = subprocess.run(init_command, env=base_env, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
    assert (data_dir / "trust-list.json").is_file()

    ports = dict(zip(NODES, _free_ports(len(NODES)), strict=True))
    processes: dict[str, subprocess.Popen[bytes]] = {}
    logs = {node_id: tmp_path / "logs" / f"{node_id}.log" for node_id in NODES}
    try:
        for node_id, port in ports.items():
            service = services[node_id]
            command = [_local(part, data_dir, ports).format(port=port) for part in service["command"]]
            compose_db = make_url(service["environment"]["DATABASE_URL"]).database
            env = dict(base_env)
            env["DATABASE_URL"] = (
                make_url(local_url).set(database=f"{prefix}{compose_db}").render_as_string(hide_password=False)
            )
            env["PILOT_PEER_URLS"] = _local(service["environment"]["PILOT_PEER_URLS"], data_dir, ports)
            processes[node_id] = spawn_logged(_pilot(*command), log_path=logs[node_id], env=env)

        # Each service's own healthcheck command, pointed at its local port.
        pending = dict(ports)
        deadline = time.monotonic() + 90
        while pending and time.monotonic() < deadline:
            for node_id, port in list(pending.items()):
                code = processes[node_id].poll()
                assert code is None, f"{node_id} exited with {code}:\n{tail(logs[node_id])}"
                test = services[node_id]["healthcheck"]["test"]
                assert test[0] == "CMD"
                argv = [
                    sys.executable if part == "python" else part.replace(":8000/", f":{port}/") for part in test[1:]
                ]
                if subprocess.run(argv, capture_output=True, timeout=10, check=False).returncode == 0:
                    del pending[node_id]
            time.sleep(0.3)
        assert not pending, {node_id: tail(logs[node_id]) for node_id in pending}

        for node_id, port in ports.items():
            health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).json()
            assert (health["node"], health["database"]) == (node_id, "postgresql")

        # The one-shot publisher, once the registry is healthy: the sandbox's lists are served from then on.
        publisher = [
            sys.executable if part == "python" else _local(part, data_dir, ports)
            for part in services["status-lists"]["entrypoint"]
        ]
        done = subprocess.run(publisher, env=base_env, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        served = httpx.get(f"http://127.0.0.1:{ports['registry']}/v1/status/cert-01/revocation-0", timeout=5)
        assert served.status_code == 200 and served.json()["sequence"] == 1
    finally:
        stop_pids([process.pid for process in processes.values()], grace_s=5)
        for process in processes.values():
            process.wait(timeout=5)

"""Settings from the environment, and peer URLs from PILOT_PEER_URLS or a changing network.json."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from node_core.network import NetworkFileError, PeerDirectory, UnknownPeerError, load_peer_urls
from node_core.settings import NodeSettings, parse_peer_urls


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("PILOT_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PILOT_NODE_ID", "cn-port-01")
    monkeypatch.setenv("PILOT_DATA_DIR", str(tmp_path))
    settings = NodeSettings()
    assert settings.database_url == f"sqlite:///{tmp_path}/cn-port-01.db"
    assert settings.database_kind == "sqlite"
    assert (settings.listen_host, settings.max_inflight, settings.clock_skew_s) == ("127.0.0.1", 64, 300)
    assert (settings.max_body_bytes, settings.max_batch_body_bytes) == (1 << 20, 16 << 20)
    assert settings.securing == "data-integrity" and settings.key_passphrase is None
    assert settings.trust_list_path == tmp_path / "trust-list.json"
    assert settings.trust_anchor_path == tmp_path / "trust-anchor.json"
    assert settings.network_path == tmp_path / "network.json"
    assert settings.tokens_dir == tmp_path / "tokens"
    assert settings.key_file == tmp_path / "keys" / "cn-port-01.pem"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PILOT_NODE_ID", "ru-exp-01")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("PILOT_MAX_INFLIGHT", "8")
    monkeypatch.setenv("PILOT_RETRY_BASE_S", "0.1")
    monkeypatch.setenv("PILOT_GIVE_UP_S", "30")
    monkeypatch.setenv("PILOT_SECURING", "jose")
    monkeypatch.setenv("PILOT_KEY_PASSPHRASE", "s3cret")
    monkeypatch.setenv("PILOT_PEER_URLS", "cn-port-01=http://127.0.0.1:8101/, cn-port-02=http://127.0.0.1:8102")
    settings = NodeSettings()
    assert settings.database_kind == "postgresql"
    assert (settings.max_inflight, settings.retry_base_s, settings.give_up_s) == (8, 0.1, 30.0)
    assert settings.securing == "jose"
    assert settings.key_passphrase is not None and settings.key_passphrase.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)
    assert settings.peer_urls == {
        "cn-port-01": "http://127.0.0.1:8101",
        "cn-port-02": "http://127.0.0.1:8102",
    }


@pytest.mark.parametrize("bad", ["cn-port-01", "cn-port-01=ftp://x", "Bad Id=http://x"])
def test_bad_peer_urls(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_peer_urls(bad)


def test_bad_node_id() -> None:
    with pytest.raises(ValidationError):
        NodeSettings(node_id="../etc")


def write_network(path: Path, nodes: dict[str, str]) -> None:
    document = {"nodes": {node: {"url": url, "pid": 1} for node, url in nodes.items()}}
    path.write_text(json.dumps(document), encoding="utf-8")


def test_peers_follow_network_json(tmp_path: Path) -> None:
    settings = NodeSettings(node_id="ru-exp-01", data_dir=tmp_path)
    directory = PeerDirectory(settings)
    assert directory.urls() == {}
    write_network(settings.network_path, {"cn-port-01": "http://127.0.0.1:8101/"})
    assert directory.url_for("cn-port-01") == "http://127.0.0.1:8101"
    write_network(settings.network_path, {"cn-port-01": "http://127.0.0.1:8101", "cn-port-2": "http://h:2"})
    assert set(directory.urls()) == {"cn-port-01", "cn-port-2"}
    with pytest.raises(UnknownPeerError, match=r"cn-port-03.*network\.json"):
        directory.url_for("cn-port-03")
    assert load_peer_urls(settings) == directory.urls()


def test_peer_urls_override_the_file(tmp_path: Path) -> None:
    settings = NodeSettings(node_id="ru-exp-01", data_dir=tmp_path, peer_urls="cn-port-01=http://a:1")
    write_network(settings.network_path, {"cn-port-01": "http://b:2"})
    assert load_peer_urls(settings) == {"cn-port-01": "http://a:1"}
    with pytest.raises(UnknownPeerError, match="PILOT_PEER_URLS"):
        PeerDirectory(settings).url_for("cn-port-02")


def test_malformed_network_file(tmp_path: Path) -> None:
    settings = NodeSettings(node_id="ru-exp-01", data_dir=tmp_path)
    settings.network_path.write_text('{"nodes": {"x": {"pid": 3}}}', encoding="utf-8")
    with pytest.raises(NetworkFileError, match="no http"):
        load_peer_urls(settings)

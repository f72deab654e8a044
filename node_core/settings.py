"""Settings shared by both node kinds, read from ``PILOT_*`` environment variables (docs/design.md §§6, 10).

Every field has an environment variable ``PILOT_<FIELD>`` (for example ``PILOT_MAX_INFLIGHT``), except the
database URL, which is read from the conventional unprefixed ``DATABASE_URL`` (``PILOT_DATABASE_URL`` is
accepted too). ``PILOT_PEER_URLS`` is the ``id=url,id=url`` override of ``<data dir>/network.json``.
``PILOT_PUBLIC_ORIGINS`` (``http://host:port,...``) lists the origins clients sign requests for; unset, they
come from the listen address (``node_core.origins``).
``PILOT_LANGUAGE`` (``en``, ``ru``, ``zh``; default ``en``) is the language a port writes its receipts' reasons
in, beside the English (``node_core.i18n``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from node_core.languages import DEFAULT_LANGUAGE, Language
from node_core.origins import default_origins, parse_origins

__all__ = ["SHORT_ID_PATTERN", "NodeSettings", "parse_peer_urls"]

#: A participant's short id (``ru-exp-01``, ``cn-port-02``, ``pilot-gov``).
SHORT_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
_SHORT_ID = re.compile(SHORT_ID_PATTERN)


def parse_peer_urls(text: str) -> dict[str, str]:
    """Parse ``id=url,id=url`` into a mapping; raise ``ValueError`` naming the first bad item."""
    peers: dict[str, str] = {}
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            continue
        peer_id, sep, url = item.partition("=")
        peer_id, url = peer_id.strip(), url.strip()
        if not sep or not _SHORT_ID.match(peer_id) or not url.startswith(("http://", "https://")):
            raise ValueError(f"bad peer entry {item!r}: expected <short id>=http(s)://host:port")
        peers[peer_id] = url.rstrip("/")
    return peers


class NodeSettings(BaseSettings):
    """One node's configuration; paths under ``data_dir`` are derived, not configured."""

    model_config = SettingsConfigDict(env_prefix="PILOT_", extra="ignore", populate_by_name=True)

    node_id: str = Field(pattern=SHORT_ID_PATTERN, description="the node's short id, e.g. cn-port-01")
    data_dir: Path = Path("pilot-data")
    database_url: str = Field(
        default="",
        validation_alias=AliasChoices("database_url", "DATABASE_URL", "PILOT_DATABASE_URL"),
        description="SQLAlchemy URL; default sqlite:///<data_dir>/<node_id>.db",
    )
    listen_host: str = "127.0.0.1"
    listen_port: int = Field(default=8100, ge=0, le=65535)
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    max_batch_body_bytes: int = Field(default=16 * 1024 * 1024, gt=0)
    max_inflight: int = Field(default=64, gt=0)
    body_timeout_s: float = Field(
        default=30.0, gt=0, description="a request body must arrive whole this many seconds after its headers"
    )
    retry_base_s: float = Field(default=1.0, gt=0)
    give_up_s: float = Field(default=3600.0, gt=0)
    clock_skew_s: int = Field(default=300, ge=0)
    nonce_ttl_s: int = Field(default=600, gt=0)
    securing: Literal["data-integrity", "jose"] = "data-integrity"
    status_timeout_s: float = Field(
        default=2.0,
        gt=0,
        description="connect and read timeout of a status list fetch from the registry; the whole answer "
        "must arrive within twice this (docs/design.md §12)",
    )
    status_ttl_s: float = Field(
        default=5.0,
        ge=1,
        description="the ttl an issuer node writes into the status lists it signs: how long verifiers may keep "
        "one before fetching it again. 5 s by default in this sandbox, so that a revocation reaches the ports "
        "within seconds; a real deployment would use minutes (docs/design.md §12)",
    )
    language: Language = Field(
        default=DEFAULT_LANGUAGE,
        description="the port's language (en, ru or zh): its receipts' reasons carry their message and hint in it "
        "beside the English (docs/design.md §6, Languages); problem details follow each request's Accept-Language",
    )
    peer_urls: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    key_passphrase: SecretStr | None = None
    public_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="origins (http(s)://host[:port]) a signed request's @target-uri may name; "
        "default http://127.0.0.1:<listen port> and http://localhost:<listen port>",
    )

    @field_validator("peer_urls", mode="before")
    @classmethod
    def _parse_peer_urls(cls, value: Any) -> Any:
        if isinstance(value, str):
            return parse_peer_urls(value)
        return value

    @field_validator("public_origins", mode="before")
    @classmethod
    def _parse_public_origins(cls, value: Any) -> Any:
        if isinstance(value, str | list | tuple):
            return parse_origins(value)
        return value

    @model_validator(mode="after")
    def _defaults(self) -> NodeSettings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / f'{self.node_id}.db'}"
        if not self.public_origins:
            self.public_origins = default_origins(self.listen_host, self.listen_port)
        return self

    @property
    def keys_path(self) -> Path:
        """Directory of PKCS#8 private keys, ``<data dir>/keys``."""
        return self.data_dir / "keys"

    @property
    def key_file(self) -> Path:
        """This node's own private key, ``<data dir>/keys/<node id>.pem``."""
        return self.keys_path / f"{self.node_id}.pem"

    @property
    def tokens_dir(self) -> Path:
        """Directory of operator bearer tokens, ``<data dir>/tokens``."""
        return self.data_dir / "tokens"

    @property
    def trust_list_path(self) -> Path:
        """The trust list this node holds, ``<data dir>/trust-list.json``."""
        return self.data_dir / "trust-list.json"

    @property
    def trust_anchor_path(self) -> Path:
        """The pinned ``pilot-gov`` key, ``<data dir>/trust-anchor.json``."""
        return self.data_dir / "trust-anchor.json"

    @property
    def network_path(self) -> Path:
        """Where ``pilot up`` records the nodes' URLs, ``<data dir>/network.json``."""
        return self.data_dir / "network.json"

    @property
    def database_kind(self) -> Literal["sqlite", "postgresql"]:
        """``sqlite`` or ``postgresql``, from the URL's dialect."""
        return "postgresql" if self.database_url.startswith("postgresql") else "sqlite"

    @property
    def key_passphrase_bytes(self) -> bytes | None:
        """``key_passphrase`` as the bytes that decrypt the keyring, or None when it is not set."""
        return self.key_passphrase.get_secret_value().encode() if self.key_passphrase else None

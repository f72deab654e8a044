"""The operator opens a stored sealed credential: the plaintext to the caller only, every attempt in the access log.

Issue 15 item 4, docs/design.md §6. A real cn-port-03 (which takes laboratory results only sealed) over a
fresh database receives a consignment whose certificate is sealed to its ``key-4``; its operator lists the
stored credentials, opens the sealed one, and is refused in every way the API names. The keyring file is
changed from outside the running port, as ``pilot keys destroy`` does.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from node_core.database import make_engine, run_migrations
from port_node.routes.sealed import MAX_OPERATOR_NAME
from port_node.sealed_access import destroyed_message
from port_node.state import MIGRATIONS
from port_node.tables import SEALED_ACCESS_LOG, SUBMISSIONS
from schemas.canonical import canonicalize
from schemas.codes import Code
from tests.support.sealed import agreement_kid
from tests.support.sealed_port import EXPORTER, LAB_VALUE, PORT, Delivered, SealingPort

pytestmark = [pytest.mark.anyio, pytest.mark.db]

KID = agreement_kid(PORT)


@pytest.fixture
def port(tmp_path: Path, database_url: str) -> Iterator[SealingPort]:
    sealing = SealingPort.start(tmp_path, database_url)
    try:
        yield sealing
    finally:
        sealing.close()


def _base(delivered: Delivered) -> str:
    return f"/v1/operator/submissions/{EXPORTER}/{delivered.submission_id}"


async def _open(port: SealingPort, delivered: Delivered, index: int | None = None, **kwargs: Any) -> Any:
    number = delivered.index if index is None else index
    async with port.client() as client:
        return await client.post(f"{_base(delivered)}/credentials/{number}/open", **kwargs)


async def _log(port: SealingPort, delivered: Delivered) -> list[dict[str, Any]]:
    async with port.client() as client:
        answer = await client.get(f"{_base(delivered)}/access-log")
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert (body["exporter"], body["submissionId"]) == (EXPORTER, delivered.submission_id)
    entries: list[dict[str, Any]] = body["entries"]
    return entries


def _problem(answer: Any, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = answer.json()
    assert body["code"] == code, body
    return body


def _stored_content(port: SealingPort, delivered: Delivered) -> bytes | None:
    with port.node.engine.connect() as connection:
        content = connection.execute(
            sa.select(SUBMISSIONS.c.content).where(SUBMISSIONS.c.submission_id == delivered.submission_id)
        ).scalar_one()
    return bytes(content) if content is not None else None


# -- listing and opening -------------------------------------------------------------------------------------


async def test_the_listing_shows_which_credentials_are_sealed_and_to_which_key(port: SealingPort) -> None:
    delivered = await port.deliver("listing")
    async with port.client() as client:
        answer = await client.get(f"{_base(delivered)}/credentials")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["contentStored"] is True
    listed = body["credentials"]
    assert len(listed) == len(delivered.submission["credentials"])
    assert listed[delivered.index] == {"index": delivered.index, "sealed": True, "kid": KID, "type": None}
    clear = [c for c in listed if c["index"] != delivered.index]
    assert all(not c["sealed"] and c["kid"] is None and c["type"] for c in clear), clear
    assert LAB_VALUE not in answer.text


async def test_the_operator_opens_a_sealed_credential_and_the_opening_is_recorded(port: SealingPort) -> None:
    delivered = await port.deliver("open")
    before = _stored_content(port, delivered)
    answer = await _open(port, delivered, headers={"X-Operator-Name": "Li Wei"})
    assert answer.status_code == 200, answer.text
    assert answer.content == canonicalize(delivered.plaintext)  # the bytes whose digest the manifest pins
    assert LAB_VALUE in answer.text
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["content-type"] == "application/json"
    (entry,) = await _log(port, delivered)
    assert entry["operator"] == "Li Wei" and entry["kid"] == KID and entry["outcome"] == "opened"
    assert entry["credentialIndex"] == delivered.index
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry["at"])
    assert _stored_content(port, delivered) == before  # still sealed at rest, untouched


async def test_a_name_in_any_script_goes_in_the_body_and_the_default_is_operator(port: SealingPort) -> None:
    delivered = await port.deliver("names")
    assert (await _open(port, delivered, json={"operator": "Ли Вэй"})).status_code == 200
    assert (await _open(port, delivered)).status_code == 200
    same = await _open(port, delivered, json={"operator": "Wang Fang"}, headers={"X-Operator-Name": "Wang Fang"})
    assert same.status_code == 200
    assert [e["operator"] for e in await _log(port, delivered)] == ["Ли Вэй", "operator", "Wang Fang"]


JSON = {"Content-Type": "application/json"}
INVALID = "REQUEST_INVALID"


@pytest.mark.parametrize(
    ("options", "status", "code"),
    [
        pytest.param({"headers": {"X-Operator-Name": "A"}, "json": {"operator": "B"}}, 400, INVALID, id="two"),
        pytest.param({"headers": {"X-Operator-Name": "Li\tWei"}}, 400, INVALID, id="header-control"),
        pytest.param({"json": {"operator": "x" * (MAX_OPERATOR_NAME + 1)}}, 400, INVALID, id="too-long"),
        pytest.param({"json": {"operator": "a\nb"}}, 400, INVALID, id="control-character"),
        pytest.param({"json": {"operator": "  "}}, 400, INVALID, id="blank"),
        pytest.param({"json": {"operator": 7}}, 400, INVALID, id="not-a-string"),
        pytest.param({"json": {"operator": "A", "why": "x"}}, 400, INVALID, id="other-member"),
        pytest.param({"json": ["A"]}, 400, INVALID, id="not-an-object"),
        pytest.param({"content": b"{", "headers": JSON}, 400, "JSON_MALFORMED", id="json"),
        pytest.param(
            {"content": b"A", "headers": {"Content-Type": "text/plain"}}, 415, "UNSUPPORTED_MEDIA_TYPE", id="type"
        ),
        pytest.param({"content": b" " * 5000}, 413, "PAYLOAD_TOO_LARGE", id="large"),
    ],
)
async def test_a_bad_request_is_refused_before_anything_is_opened(
    port: SealingPort, options: dict[str, Any], status: int, code: str
) -> None:
    delivered = await port.deliver(f"bad-{code.lower()}")
    answer = await _open(port, delivered, **options)
    _problem(answer, status, code)
    assert LAB_VALUE not in answer.text
    assert await _log(port, delivered) == []  # not an attempt on the credential: nothing to record


async def test_every_route_needs_the_operator_token(port: SealingPort) -> None:
    delivered = await port.deliver("token")
    async with port.client(operator=False) as client:
        answers = [
            await client.get(f"{_base(delivered)}/credentials"),
            await client.post(f"{_base(delivered)}/credentials/{delivered.index}/open"),
            await client.get(f"{_base(delivered)}/access-log"),
        ]
    async with port.client(operator=False, headers={"Authorization": "Bearer wrong"}) as client:
        answers.append(await client.post(f"{_base(delivered)}/credentials/{delivered.index}/open"))
    for answer in answers:
        _problem(answer, 401, "UNAUTHORIZED")
        assert LAB_VALUE not in answer.text
    assert await _log(port, delivered) == []


# -- refusals, each recorded ---------------------------------------------------------------------------------


async def test_refusals_are_recorded_with_their_codes(port: SealingPort) -> None:
    delivered = await port.deliver("refusals")
    clear_index = next(i for i in range(len(delivered.submission["credentials"])) if i != delivered.index)
    _problem(await _open(port, delivered, clear_index), 409, Code.CREDENTIAL_NOT_SEALED)
    _problem(await _open(port, delivered, 199), 404, Code.NOT_FOUND)
    entries = await _log(port, delivered)
    assert [(e["credentialIndex"], e["kid"], e["outcome"]) for e in entries] == [
        (clear_index, None, "CREDENTIAL_NOT_SEALED"),
        (199, None, "NOT_FOUND"),
    ]


async def test_an_unknown_submission_is_404_and_not_recorded(port: SealingPort) -> None:
    async with port.client() as client:
        for answer in (
            await client.post(f"/v1/operator/submissions/{EXPORTER}/no-such/credentials/0/open"),
            await client.get(f"/v1/operator/submissions/{EXPORTER}/no-such/credentials"),
            await client.get(f"/v1/operator/submissions/{EXPORTER}/no-such/access-log"),
            await client.post("/v1/operator/submissions/ru-exp-02/no-such/credentials/0/open"),
        ):
            _problem(answer, 404, Code.NOT_FOUND)
        _problem(
            await client.post(f"/v1/operator/submissions/{EXPORTER}/x/credentials/-1/open"), 400, "REQUEST_INVALID"
        )
    with port.node.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(SEALED_ACCESS_LOG)).scalar_one() == 0


async def test_content_the_port_did_not_keep_cannot_be_opened(port: SealingPort) -> None:
    delivered = await port.deliver("clear-lab", sealed=False)  # refused: laboratory must come sealed
    assert "DATA_CATEGORY_SEALING_REQUIRED" in delivered.receipt.decode()
    async with port.client() as client:
        listing = (await client.get(f"{_base(delivered)}/credentials")).json()
    assert listing["contentStored"] is False and listing["credentials"] == []
    body = _problem(await _open(port, delivered), 404, Code.NOT_FOUND)
    assert "did not keep" in body["detail"]
    assert [e["outcome"] for e in await _log(port, delivered)] == ["NOT_FOUND"]


async def test_after_the_key_is_destroyed_opening_says_so_and_is_recorded(port: SealingPort) -> None:
    delivered = await port.deliver("destroyed")
    assert (await _open(port, delivered)).status_code == 200
    when = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    kid = port.destroy_key(when)  # from outside the running port, as `pilot keys destroy` does
    answer = await _open(port, delivered, headers={"X-Operator-Name": "auditor"})
    body = _problem(answer, 410, Code.SEALED_KEY_DESTROYED)
    assert body["detail"] == f"sealed to {kid}, destroyed at 2026-07-01T12:00:00Z: its content can no longer be read"
    assert body["detail"] == destroyed_message(kid, when)
    assert LAB_VALUE not in answer.text
    entries = await _log(port, delivered)
    assert [(e["operator"], e["kid"], e["outcome"]) for e in entries] == [
        ("operator", kid, "opened"),
        ("auditor", kid, "SEALED_KEY_DESTROYED"),
    ]
    async with port.client() as client:  # still listed as sealed to that key
        listed = (await client.get(f"{_base(delivered)}/credentials")).json()["credentials"]
    assert listed[delivered.index]["kid"] == kid


async def test_a_key_gone_without_a_tombstone_is_the_openers_code(port: SealingPort) -> None:
    delivered = await port.deliver("vanished")
    port.destroy_key(datetime(2026, 7, 1, tzinfo=UTC))
    text = port.key_file.read_text()
    port.key_file.write_text(re.sub(r"(?m)^# destroyed .*\n", "", text))  # no record of the destruction
    body = _problem(await _open(port, delivered), 409, Code.SEALED_KEY_UNKNOWN)
    assert "destroyed" not in body["detail"]
    assert [(e["kid"], e["outcome"]) for e in await _log(port, delivered)] == [(KID, "SEALED_KEY_UNKNOWN")]


# -- the plaintext is written nowhere ------------------------------------------------------------------------


def _database_holds(engine: sa.Engine, needle: str) -> list[str]:
    """Every table and column of the database whose stored value contains ``needle`` (text or bytes)."""
    found = []
    metadata = sa.MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(sa.select(table)):
                for column, value in row._mapping.items():
                    data = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
                    if needle.encode() in data:
                        found.append(f"{table.name}.{column}")
    return found


async def test_opening_writes_the_plaintext_nowhere(
    port: SealingPort, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    delivered = await port.deliver("nowhere")
    caplog.set_level(logging.DEBUG)
    for name in ("first", "second"):
        answer = await _open(port, delivered, json={"operator": name})
        assert LAB_VALUE in answer.text
    assert _database_holds(port.node.engine, LAB_VALUE) == []
    assert _database_holds(port.node.engine, "sealed_access") == []  # the search finds what is there...
    assert _database_holds(port.node.engine, "second") == ["sealed_access_log.operator"]  # ...as here
    if database_url.startswith("sqlite"):
        for path in Path(database_url.removeprefix("sqlite:///")).parent.glob("*.db*"):
            assert LAB_VALUE.encode() not in path.read_bytes(), path
    records = [f"{r.getMessage()} {r.__dict__}" for r in caplog.records]
    assert any("sealed credential access" in record for record in records)
    assert not [record for record in records if LAB_VALUE in record]


# -- the migration -------------------------------------------------------------------------------------------


def _alembic(engine: sa.Engine, action: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


def test_migration_0004_adds_and_drops_the_access_log(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        _alembic(engine, "upgrade", "0003")
        assert "sealed_access_log" not in sa.inspect(engine).get_table_names()
        run_migrations(engine, MIGRATIONS)
        columns = {c["name"] for c in sa.inspect(engine).get_columns("sealed_access_log")}
        assert columns == {"id", "exporter", "submission_id", "credential_index", "kid", "operator", "at", "outcome"}
        indexes = {i["name"] for i in sa.inspect(engine).get_indexes("sealed_access_log")}
        assert "sealed_access_log_submission" in indexes
        _alembic(engine, "downgrade", "0003")
        assert "sealed_access_log" not in sa.inspect(engine).get_table_names()
        run_migrations(engine, MIGRATIONS)
        assert "sealed_access_log" in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()

"""The one client of a port's peer API: every ``/v1/...`` path that a caller outside the routes uses.

``PortClient`` (async: the exporter's delivery worker) and ``SyncPortClient`` (the port's cosigning
thread, the audit tools, the demo's checks, the conformance kit) have the same methods. Each method is
one request described once below (``_Call``: method, path, parameters, which statuses answer it, how the
body is read); the two classes differ only in how they send it.

Errors are mapped here, at the boundary, and split by blame (``PeerError`` is the root):

- ``PeerUnavailable``: no usable answer now: a transport error, a timeout, ``429`` or a 5xx, or (for
  ``submit``) a status the protocol does not give. Worth trying again later.
- ``PeerRefused``: a 4xx answer, or (for every call but ``submit``) another status the protocol does not
  give. ``code`` is the RFC 9457 problem's ``code``, else ``HTTP_<status>``; ``detail`` the start of the
  body. ``SizeConflict`` is the witness's tlog-witness ``409`` naming the size it holds
  (``text/x.tlog.size``).
- ``PeerAnswerInvalid``: the expected status with a body that cannot be used (larger than the bound, not
  strict JSON, not the protocol's shape).

What is read from a port is bounded: at most ``MAX_ANSWER_BYTES`` of an answer's body, streamed and never
decoded (``Accept-Encoding: identity``); an announced ``Content-Length`` beyond it is not read at all.
The whole answer must arrive within ``ANSWER_DEADLINE_S`` (the sync client checks the deadline between
chunks, each chunk bounded by the read timeout). A body beyond the bound is not read further: a 429 or
5xx is still ``PeerUnavailable`` and a 4xx still ``PeerRefused`` (code ``HTTP_<status>``), an expected
status ``PeerAnswerInvalid``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, NamedTuple, TypeVar

import httpx

from schemas.errors import PilotSchemaError
from schemas.jsonio import parse_json

__all__ = [
    "ANSWER_DEADLINE_S",
    "DEFAULT_TIMEOUT",
    "MAX_ANSWER_BYTES",
    "PAGE_SIZE",
    "WITNESS_SIZE_TYPE",
    "LoggedEntry",
    "PeerAnswerInvalid",
    "PeerError",
    "PeerRefused",
    "PeerUnavailable",
    "PortClient",
    "Proof",
    "SizeConflict",
    "Submitted",
    "SyncPortClient",
    "WitnessHeld",
    "problem_code",
]

#: The most bytes of one answer's body read from a port (a receipt is a few KiB, a page of entries less).
MAX_ANSWER_BYTES = 4 * 1024 * 1024
#: Seconds for a whole answer (status, headers and body), however slowly the port sends it.
ANSWER_DEADLINE_S = 60.0
#: Connect and read timeouts of a client this module creates.
DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=3.0)
#: Entries per ``GET /v1/log/entries`` request (the most a port serves at once).
PAGE_SIZE = 1000
#: tlog-witness: a 409 answer to add-checkpoint carries the witness's latest size with this content type.
WITNESS_SIZE_TYPE = "text/x.tlog.size"
#: How much of a refusal's body its ``detail`` shows.
_SHOWN = 500

_T = TypeVar("_T")
_HttpClient = TypeVar("_HttpClient", httpx.AsyncClient, httpx.Client)
_Transport = TypeVar("_Transport", httpx.AsyncBaseTransport, httpx.BaseTransport)


# --- errors --------------------------------------------------------------------------------------------


class PeerError(Exception):
    """A call to a port did not give what was asked; ``request`` names it (``GET /v1/log/checkpoint``)."""

    def __init__(self, detail: str, *, status: int | None = None, code: str | None = None, request: str = "") -> None:
        super().__init__(f"{request}: {detail}" if request else detail)
        self.detail, self.status, self.code, self.request = detail, status, code, request


class PeerUnavailable(PeerError):
    """No usable answer now (transport error, timeout, 429, 5xx): try again later."""

    def __init__(self, detail: str, status: int | None = None, code: str | None = None, *, request: str = "") -> None:
        super().__init__(detail, status=status, code=code, request=request)


class PeerRefused(PeerError):
    """A 4xx or unexpected status: ``code`` is the problem's (else ``HTTP_<status>``), ``detail`` the body's start."""

    code: str
    status: int

    def __init__(self, code: str, status: int, detail: str, *, request: str = "") -> None:
        super().__init__(detail, status=status, code=code, request=request)


class SizeConflict(PeerRefused):
    """tlog-witness: ``409`` with the size the witness holds (``held_size``; None when the body is no number)."""

    def __init__(self, held_size: int | None, detail: str, *, request: str = "") -> None:
        super().__init__("HTTP_409", 409, detail, request=request)
        self.held_size = held_size


class PeerAnswerInvalid(PeerError):
    """The expected status with a body that cannot be used: beyond the bound, not strict JSON, another shape."""


class _Malformed(ValueError):
    """Raised by a body reader; the client turns it into ``PeerAnswerInvalid`` naming the request."""


def problem_code(content: bytes | None) -> str | None:
    """The ``code`` of an RFC 9457 problem body, if ``content`` is one."""
    if content is None:
        return None
    try:
        body = parse_json(content)
    except PilotSchemaError:
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None


# --- what the calls return -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    """The port's receipt for a submission: ``status`` 201 (logged now) or 200 (seen before), its bytes."""

    status: int
    receipt: bytes


@dataclass(frozen=True)
class LoggedEntry:
    """One entry of ``GET /v1/log/entries``: its index and the entry (its RFC 8785 bytes are the leaf input)."""

    index: int
    entry: dict[str, Any]


@dataclass(frozen=True)
class Proof:
    """An RFC 9162 proof as the port served it (``document``); ``hashes()`` decodes and checks it."""

    document: dict[str, Any]
    asked: Mapping[str, int]
    request: str = ""

    def hashes(self) -> list[bytes]:
        """The proof's hashes, leaf level first; PeerAnswerInvalid unless the answer is for what was asked."""
        try:
            for name, value in self.asked.items():
                if self.document.get(name) != value:
                    raise ValueError(f"the proof is for {name} {self.document.get(name)!r}, not {value}")
            raw = self.document["proof"]
            if not isinstance(raw, list):
                raise TypeError("proof is not a list")
            return [base64.b64decode(h, validate=True) for h in raw]
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise PeerAnswerInvalid(f"the proof is malformed: {exc}", status=200, request=self.request) from exc


@dataclass(frozen=True)
class WitnessHeld:
    """What a witness holds for a log origin (``GET /v1/witness/latest``): size 0 and no note if nothing."""

    size: int
    note: str | None


# --- the calls -------------------------------------------------------------------------------------------


class _Settled(NamedTuple):
    status: int
    body: bytes


@dataclass(frozen=True)
class _Call(Generic[_T]):
    """One request of the peer API and how its answer is read."""

    method: str
    path: str
    read: Callable[[_Settled], _T]
    params: Mapping[str, str | int] = field(default_factory=dict)
    content: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    ok: tuple[int, ...] = (200,)
    #: A status the protocol does not give means "not taken, try again" (a submission), not a refusal.
    retry_unexpected: bool = False
    #: A tlog-witness 409 with ``text/x.tlog.size`` is a ``SizeConflict``.
    witness: bool = False

    @property
    def label(self) -> str:
        return _label(self.method, self.path, self.params)


def _label(method: str, path: str, params: Mapping[str, str | int]) -> str:
    """``GET /v1/log/entries?start=0&end=1000``: the request, as errors name it."""
    query = "&".join(f"{name}={value}" for name, value in params.items())
    return f"{method} {path}" + (f"?{query}" if query else "")


def _json(body: bytes) -> Any:
    try:
        return parse_json(body)
    except PilotSchemaError as exc:
        raise _Malformed(f"the answer is not strict JSON: {exc}") from exc


def _json_object(body: bytes) -> dict[str, Any]:
    document = _json(body)
    if not isinstance(document, dict):
        raise _Malformed("the answer is not a JSON object")
    return document


def _text(body: bytes) -> str:
    return body.decode("utf-8", "replace")


def _submit(body: bytes) -> _Call[Submitted]:
    return _Call(
        "POST",
        "/v1/submissions",
        lambda answer: Submitted(answer.status, answer.body),
        content=body,
        headers={"content-type": "application/json", "accept": "application/json"},
        ok=(200, 201),
        retry_unexpected=True,
    )


def _checkpoint() -> _Call[str]:
    return _Call("GET", "/v1/log/checkpoint", lambda answer: _text(answer.body))


def _proof(path: str, asked: dict[str, int]) -> _Call[Proof]:
    label = _label("GET", path, asked)
    return _Call("GET", path, lambda answer: Proof(_json_object(answer.body), asked, label), params=asked)


def _entries_page(start: int, stop: int) -> _Call[list[LoggedEntry]]:
    def read(answer: _Settled) -> list[LoggedEntry]:
        items = _json_object(answer.body).get("entries")
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise _Malformed("entries is not a list of objects")
        if [i.get("index") for i in items] != list(range(start, stop)):
            raise _Malformed(f"entries {start}..{stop} are not exactly those indexes, in order")
        if not all(isinstance(i.get("entry"), dict) for i in items):
            raise _Malformed("an entry is not a JSON object")
        return [LoggedEntry(int(i["index"]), i["entry"]) for i in items]

    return _Call("GET", "/v1/log/entries", read, params={"start": start, "end": stop})


def _pages(start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end:
        stop = min(end, start + PAGE_SIZE)
        yield start, stop
        start = stop


def _trust_list() -> _Call[Any]:
    return _Call("GET", "/v1/trust-list", lambda answer: _json(answer.body))


def _receipt(submission_id: str, exporter: str | None) -> _Call[bytes]:
    params = {"exporter": exporter} if exporter is not None else {}
    return _Call("GET", f"/v1/receipts/{submission_id}", lambda answer: answer.body, params=params)


def _witness_latest(origin: str) -> _Call[WitnessHeld]:
    def read(answer: _Settled) -> WitnessHeld:
        document = _json_object(answer.body)
        size, note = document.get("size"), document.get("note")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise _Malformed(f"the answer has no usable size: {str(size)[:40]!r}")
        return WitnessHeld(size, note if isinstance(note, str) else None)

    return _Call("GET", "/v1/witness/latest", read, params={"origin": origin})


def _witness_evidence() -> _Call[Any]:
    return _Call("GET", "/v1/witness/evidence", lambda answer: _json(answer.body))


def _add_checkpoint(body: bytes) -> _Call[str]:
    return _Call("POST", "/v1/witness/add-checkpoint", lambda answer: _text(answer.body), content=body, witness=True)


# --- answers ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Answer:
    """A port's answer: status, media type, and body (None when it exceeds the bound: not read further)."""

    status: int
    content_type: str
    content: bytes | None
    limit: int

    @property
    def too_large(self) -> str:
        return f"the port's answer (HTTP {self.status}) is larger than {self.limit} bytes: not read further"


def _settle(call: _Call[_T], answer: _Answer) -> _T:
    """The answer read as ``call`` says, or the error it stands for (module docstring)."""
    status, content, request = answer.status, answer.content, call.label
    if status in call.ok:
        if content is None:
            raise PeerAnswerInvalid(answer.too_large, status=status, request=request)
        try:
            return call.read(_Settled(status, content))
        except _Malformed as exc:
            raise PeerAnswerInvalid(str(exc), status=status, request=request) from exc
    if call.witness and status == 409 and answer.content_type.startswith(WITNESS_SIZE_TYPE):
        text = _text(content or b"")
        try:
            held: int | None = int(text.strip() or 0)
        except ValueError:
            held = None
        raise SizeConflict(held, text, request=request)
    code = problem_code(content)
    if status == 429 or status >= 500:
        detail = f"HTTP {status} {code or ''}".strip() if content is not None else answer.too_large
        raise PeerUnavailable(detail, status, code, request=request)
    if call.retry_unexpected and not 400 <= status < 500:
        raise PeerUnavailable(f"unexpected HTTP {status}", status, code, request=request)
    shown = content[:_SHOWN].decode("utf-8", "replace") if content is not None else answer.too_large
    raise PeerRefused(code or f"HTTP_{status}", status, f"HTTP {status}: {shown}", request=request)


def _too_large(response: httpx.Response, limit: int) -> bool:
    declared = response.headers.get("content-length", "")
    return declared.isdigit() and int(declared) > limit


# --- the two clients -------------------------------------------------------------------------------------


class _Base(Generic[_HttpClient, _Transport]):
    """What both clients share: the settings, the HTTP client (made here unless given), the requests."""

    def __init__(
        self,
        base_url: str,
        *,
        signer: httpx.Auth | None = None,
        transport: _Transport | None = None,
        client: _HttpClient | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
        answer_deadline_s: float = ANSWER_DEADLINE_S,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.signer = signer
        self.max_answer_bytes = max_answer_bytes
        self.answer_deadline_s = answer_deadline_s
        self._owned = client is None
        self._http: _HttpClient = client or self._new_client(transport, timeout)

    def _new_client(self, transport: _Transport | None, timeout: httpx.Timeout | float) -> _HttpClient:
        """The HTTP client to send with when none is given (this object then closes it)."""
        raise NotImplementedError

    def _request(self, call: _Call[Any]) -> dict[str, Any]:
        return {
            "method": call.method,
            "url": self.base_url + call.path,
            "params": dict(call.params) or None,
            "content": call.content,
            "headers": {**call.headers, "accept-encoding": "identity"},
            "auth": self.signer if self.signer is not None else httpx.USE_CLIENT_DEFAULT,
        }

    def _answer(self, response: httpx.Response, content: bytes | None) -> _Answer:
        return _Answer(response.status_code, response.headers.get("content-type", ""), content, self.max_answer_bytes)

    def _late(self, call: _Call[Any]) -> PeerUnavailable:
        return PeerUnavailable(f"the port's answer took longer than {self.answer_deadline_s:.0f} s", request=call.label)


def _unreachable(call: _Call[Any], exc: httpx.HTTPError) -> PeerUnavailable:
    return PeerUnavailable(f"{type(exc).__name__}: {exc}", request=call.label)


class PortClient(_Base[httpx.AsyncClient, httpx.AsyncBaseTransport]):
    """The async client of the port at ``base_url``; ``signer`` signs every request (RFC 9421).

    ``client`` is an ``httpx.AsyncClient`` to send with (not closed here); otherwise one is made with
    ``transport`` and ``timeout`` and closed by ``aclose``.
    """

    def _new_client(
        self, transport: httpx.AsyncBaseTransport | None, timeout: httpx.Timeout | float
    ) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=transport, timeout=timeout, trust_env=False)

    async def aclose(self) -> None:
        """Close the HTTP client if this object made it."""
        if self._owned:
            await self._http.aclose()

    async def __aenter__(self) -> PortClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def _do(self, call: _Call[_T]) -> _T:
        try:
            async with asyncio.timeout(self.answer_deadline_s):
                answer = await self._fetch(call)
        except httpx.HTTPError as exc:
            raise _unreachable(call, exc) from exc
        except TimeoutError as exc:
            raise self._late(call) from exc
        return _settle(call, answer)

    async def _fetch(self, call: _Call[Any]) -> _Answer:
        async with self._http.stream(**self._request(call)) as response:
            if _too_large(response, self.max_answer_bytes):
                return self._answer(response, None)
            body = bytearray()
            async for chunk in _araw(response):
                body += chunk
                if len(body) > self.max_answer_bytes:
                    return self._answer(response, None)
            return self._answer(response, bytes(body))

    async def submit(self, body: bytes) -> Submitted:
        """``POST /v1/submissions`` with ``body`` (the exact submission bytes); the receipt as received."""
        return await self._do(_submit(body))

    async def checkpoint(self) -> str:
        """``GET /v1/log/checkpoint``: the latest signed note, with its cosignatures."""
        return await self._do(_checkpoint())

    async def consistency_proof(self, first: int, second: int) -> Proof:
        """``GET /v1/log/proof/consistency`` from tree size ``first`` to ``second``."""
        return await self._do(_proof("/v1/log/proof/consistency", {"first": first, "second": second}))

    async def inclusion_proof(self, index: int, size: int) -> Proof:
        """``GET /v1/log/proof/inclusion`` of leaf ``index`` in the tree of ``size``."""
        return await self._do(_proof("/v1/log/proof/inclusion", {"index": index, "size": size}))

    async def entries(self, start: int, end: int) -> list[LoggedEntry]:
        """Entries ``[start, end)``, fetched in pages of ``PAGE_SIZE``, each exactly the indexes asked."""
        return [entry for page in _pages(start, end) for entry in await self._do(_entries_page(*page))]

    async def trust_list(self) -> Any:
        """``GET /v1/trust-list``: the trust list the port holds, as served."""
        return await self._do(_trust_list())

    async def receipt(self, submission_id: str, *, exporter: str | None = None) -> bytes:
        """``GET /v1/receipts/{id}`` (the operator names the ``exporter``; an exporter signs instead)."""
        return await self._do(_receipt(submission_id, exporter))

    async def witness_latest(self, origin: str) -> WitnessHeld:
        """``GET /v1/witness/latest``: what the port's witness holds for ``origin``."""
        return await self._do(_witness_latest(origin))

    async def witness_evidence(self) -> Any:
        """``GET /v1/witness/evidence``: the equivocation the witness recorded, as served."""
        return await self._do(_witness_evidence())

    async def add_checkpoint(self, body: bytes) -> str:
        """tlog-witness ``POST /v1/witness/add-checkpoint``: the cosignature line(s); ``SizeConflict`` on 409."""
        return await self._do(_add_checkpoint(body))


class SyncPortClient(_Base[httpx.Client, httpx.BaseTransport]):
    """``PortClient`` for synchronous callers, over an ``httpx.Client``; the same methods and errors."""

    def _new_client(self, transport: httpx.BaseTransport | None, timeout: httpx.Timeout | float) -> httpx.Client:
        return httpx.Client(transport=transport, timeout=timeout, trust_env=False)

    def close(self) -> None:
        """Close the HTTP client if this object made it."""
        if self._owned:
            self._http.close()

    def __enter__(self) -> SyncPortClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _do(self, call: _Call[_T]) -> _T:
        try:
            answer = self._fetch(call, time.monotonic() + self.answer_deadline_s)
        except httpx.HTTPError as exc:
            raise _unreachable(call, exc) from exc
        except TimeoutError as exc:
            raise self._late(call) from exc
        return _settle(call, answer)

    def _fetch(self, call: _Call[Any], deadline: float) -> _Answer:
        with self._http.stream(**self._request(call)) as response:
            if _too_large(response, self.max_answer_bytes):
                return self._answer(response, None)
            body = bytearray()
            for chunk in _raw(response):
                body += chunk
                if len(body) > self.max_answer_bytes:
                    return self._answer(response, None)
                if time.monotonic() > deadline:
                    raise TimeoutError
            return self._answer(response, bytes(body))

    def submit(self, body: bytes) -> Submitted:
        """``POST /v1/submissions`` with ``body`` (the exact submission bytes); the receipt as received."""
        return self._do(_submit(body))

    def checkpoint(self) -> str:
        """``GET /v1/log/checkpoint``: the latest signed note, with its cosignatures."""
        return self._do(_checkpoint())

    def consistency_proof(self, first: int, second: int) -> Proof:
        """``GET /v1/log/proof/consistency`` from tree size ``first`` to ``second``."""
        return self._do(_proof("/v1/log/proof/consistency", {"first": first, "second": second}))

    def inclusion_proof(self, index: int, size: int) -> Proof:
        """``GET /v1/log/proof/inclusion`` of leaf ``index`` in the tree of ``size``."""
        return self._do(_proof("/v1/log/proof/inclusion", {"index": index, "size": size}))

    def entries(self, start: int, end: int) -> list[LoggedEntry]:
        """Entries ``[start, end)``, fetched in pages of ``PAGE_SIZE``, each exactly the indexes asked."""
        return [entry for page in _pages(start, end) for entry in self._do(_entries_page(*page))]

    def trust_list(self) -> Any:
        """``GET /v1/trust-list``: the trust list the port holds, as served."""
        return self._do(_trust_list())

    def receipt(self, submission_id: str, *, exporter: str | None = None) -> bytes:
        """``GET /v1/receipts/{id}`` (the operator names the ``exporter``; an exporter signs instead)."""
        return self._do(_receipt(submission_id, exporter))

    def witness_latest(self, origin: str) -> WitnessHeld:
        """``GET /v1/witness/latest``: what the port's witness holds for ``origin``."""
        return self._do(_witness_latest(origin))

    def witness_evidence(self) -> Any:
        """``GET /v1/witness/evidence``: the equivocation the witness recorded, as served."""
        return self._do(_witness_evidence())

    def add_checkpoint(self, body: bytes) -> str:
        """tlog-witness ``POST /v1/witness/add-checkpoint``: the cosignature line(s); ``SizeConflict`` on 409."""
        return self._do(_add_checkpoint(body))


async def _araw(response: httpx.Response) -> AsyncIterator[bytes]:
    """The body as received (not decoded); an in-memory answer (``httpx.MockTransport``) is already read."""
    if response.is_stream_consumed:
        yield response.content
        return
    async for chunk in response.aiter_raw():
        yield chunk


def _raw(response: httpx.Response) -> Iterator[bytes]:
    """The body as received (not decoded); an in-memory answer (``httpx.MockTransport``) is already read."""
    if response.is_stream_consumed:
        yield response.content
        return
    yield from response.iter_raw()

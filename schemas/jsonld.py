"""JSON-LD: the pilot's context files, an offline document loader, and the safe-mode expansion check.

docs/design.md §4: every credential expands with no dropped member (JSON-LD "safe mode", as tests-untp
tier 1 runs it), contexts loaded from files, never from the network:

* the pilot's own contexts are files in :data:`CONTEXTS_DIR`, listed by ``index.json``
  (``{context URL: file name}``; outside tools read it, so its name and shape stay);
* ``https://www.w3.org/ns/credentials/v2`` is ``<reference dir>/w3c/credentials-v2.jsonld``;
* ``https://test.uncefact.org/vocabulary/untp/<dfr|dte|dcc|core>/0.6.1/`` is
  ``<reference dir>/untp-0.6.1/untp-<x>-context.jsonld``.

Those W3C and UNTP files are not ours to ship: they come from a reference directory
(:func:`reference_dir`: an explicit path, else ``PILOT_REFERENCE_DIR``). Any other URL, or a reference file
that is missing, raises :class:`ContextUnavailableError` (``JSONLD_CONTEXT_UNAVAILABLE``).

:func:`expansion_problems` expands a document with pyld and reports, as ``JSONLD_TERM_UNDEFINED``, every
member the expansion drops (with a JSON pointer to it) and every ``@type`` left as a relative IRI (a type
name no context defines); a JSON-LD processing error becomes ``JSONLD_CONTEXT_UNAVAILABLE`` when a
context cannot be loaded or is not a valid context, ``JSONLD_TERM_UNDEFINED`` otherwise (a protected term
redefined, a bad term definition, a value that cannot expand).

pyld is imported on first use, so that ``import schemas`` stays cheap; pyld itself imports ``requests``
for its default loader, which is never used here.
"""

from __future__ import annotations

import copy
import json
import os
import re
import sys
import threading
import warnings
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from schemas.codes import Code
from schemas.errors import PilotSchemaError, Reason

__all__ = [
    "CONTEXTS_DIR",
    "REFERENCE_DIR_ENV",
    "UNTP_VERSION",
    "VC_V2_CONTEXT",
    "ContextUnavailableError",
    "OfflineDocumentLoader",
    "context_index",
    "document_loader",
    "expansion_problems",
    "reference_dir",
    "untp_context_url",
]

#: The pilot's JSON-LD context files (package data), with ``index.json``.
CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"
REFERENCE_DIR_ENV = "PILOT_REFERENCE_DIR"
VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
UNTP_VERSION = "0.6.1"
_UNTP_PARTS = ("dfr", "dte", "dcc", "core")
_UNTP_CONTEXT = re.compile(r"https://test\.uncefact\.org/vocabulary/untp/([A-Za-z0-9_-]+)/([^/]+)/")
_PLAIN_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# Relative IRIs are resolved against this base during expansion, so that they can be recognised
# afterwards (pyld resolves against http://example.org/base/ when no base is given).
_RELATIVE_BASE = "https://relative-iri.invalid/"
# JSON-LD 1.1 API error codes that mean "a context could not be obtained or is not a valid context".
_CONTEXT_ERROR_CODES = frozenset(
    {
        "loading document failed",
        "loading remote context failed",
        "invalid remote context",
        "recursive context inclusion",
        "context overflow",
        "invalid local context",
        "invalid context entry",
        "invalid context nullification",
        "invalid @import value",
        "invalid @propagate value",
        "invalid @version value",
        "invalid base IRI",
        "invalid base direction",
        "invalid default language",
        "invalid vocab mapping",
        "processing mode conflict",
    }
)
# Error codes about a term definition inside a context (reported at the document's @context).
_TERM_DEFINITION_ERROR_CODES = frozenset(
    {
        "protected term redefinition",
        "keyword redefinition",
        "invalid term definition",
        "invalid IRI mapping",
        "cyclic IRI mapping",
        "invalid type mapping",
        "invalid container mapping",
        "invalid scoped context",
        "invalid reverse property",
        "invalid keyword alias",
        "invalid language mapping",
        "invalid @nest value",
        "invalid @prefix value",
        "invalid @protected value",
    }
)
_MESSAGE_LIMIT = 300
# warnings.catch_warnings is process-wide; expansions that record pyld's warnings take turns.
_EXPANSION_LOCK = threading.Lock()


class ContextUnavailableError(PilotSchemaError):
    """A ``@context`` URL that cannot be resolved offline: unknown, of another version, or its file missing."""

    code = Code.JSONLD_CONTEXT_UNAVAILABLE

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"context {url} is unavailable offline: {reason}")
        self.url = url
        self.reason = reason


def reference_dir(explicit: Path | str | None = None) -> Path | None:
    """The reference directory: ``explicit``, else ``$PILOT_REFERENCE_DIR``, else None (not checked to exist)."""
    if explicit is not None and str(explicit) != "":
        return Path(explicit)
    configured = os.environ.get(REFERENCE_DIR_ENV)
    return Path(configured) if configured else None


def untp_context_url(part: str, version: str = UNTP_VERSION) -> str:
    """The URL of UNTP's context for ``part`` (``dfr``, ``dte``, ``dcc``, ``core``) at ``version``."""
    return f"https://test.uncefact.org/vocabulary/untp/{part}/{version}/"


@lru_cache(maxsize=1)
def context_index() -> dict[str, str]:
    """``schemas/contexts/index.json``: each pilot context URL and its file name in :data:`CONTEXTS_DIR`."""
    index = json.loads((CONTEXTS_DIR / "index.json").read_bytes())
    if not isinstance(index, dict) or not all(
        isinstance(url, str) and isinstance(name, str) and _PLAIN_FILE_NAME.fullmatch(name)
        for url, name in index.items()
    ):
        raise ValueError(f"{CONTEXTS_DIR / 'index.json'} must map context URLs to plain file names")
    return dict(index)


def _context_path(url: str, reference: Path | None) -> Path:
    """The file that holds the context at ``url``; ContextUnavailableError when there is none."""
    ours = context_index().get(url)
    if ours is not None:
        return CONTEXTS_DIR / ours
    untp = _UNTP_CONTEXT.fullmatch(url)
    if url == VC_V2_CONTEXT:
        relative = Path("w3c") / "credentials-v2.jsonld"
    elif untp is not None and untp.group(1) in _UNTP_PARTS and untp.group(2) == UNTP_VERSION:
        relative = Path(f"untp-{UNTP_VERSION}") / f"untp-{untp.group(1)}-context.jsonld"
    elif untp is not None and untp.group(1) in _UNTP_PARTS:
        raise ContextUnavailableError(
            url,
            f"UNTP {untp.group(1)} context version {untp.group(2)!r} is not supported; this pilot follows UNTP "
            f"{UNTP_VERSION} ({untp_context_url(untp.group(1))})",
        )
    else:
        raise ContextUnavailableError(
            url,
            "not a context this pilot resolves offline (W3C credentials v2, UNTP "
            f"{UNTP_VERSION} dfr/dte/dcc/core, or one listed in schemas/contexts/index.json); "
            "contexts are never fetched from the network",
        )
    if reference is None:
        raise ContextUnavailableError(
            url, f"no reference directory to load it from (pass one or set {REFERENCE_DIR_ENV})"
        )
    path = reference / relative
    if not path.is_file():
        raise ContextUnavailableError(url, f"the reference directory has no {relative} ({path})")
    return path


@lru_cache(maxsize=64)
def _parse_context_file(path: str, mtime_ns: int, size: int) -> dict[str, Any]:
    """A context file's JSON (cached per file version: path, modification time and size)."""
    del mtime_ns, size  # cache key only
    try:
        document = json.loads(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise ContextUnavailableError(path, f"cannot read it as JSON: {exc}") from exc
    if not isinstance(document, dict) or "@context" not in document:
        raise ContextUnavailableError(path, "the file is not a JSON object with a @context member")
    return document


class OfflineDocumentLoader:
    """A pyld document loader that resolves the pilot's, W3C's and UNTP's contexts from files only.

    Call it as pyld does (``loader(url, options)``); it never opens a socket. Resolved contexts are cached
    per loader (see :meth:`context_resolver`), files per version.
    """

    def __init__(self, reference: Path | None) -> None:
        self.reference = reference
        self._resolved: Any = None  # pyld's shared resolved-context cache, made on first use

    def load(self, url: str) -> dict[str, Any]:
        """The parsed context document at ``url`` (a fresh copy); ContextUnavailableError otherwise."""
        path = _context_path(url, self.reference)
        try:
            stat = path.stat()
        except OSError as exc:
            raise ContextUnavailableError(url, f"cannot read {path}: {exc}") from exc
        return copy.deepcopy(_parse_context_file(str(path), stat.st_mtime_ns, stat.st_size))

    def __call__(self, url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        # pyld's RemoteDocument; tag "static" lets pyld keep the processed context in our cache.
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": self.load(url),
            "tag": "static",
        }

    def context_resolver(self) -> Any:
        """A pyld ContextResolver over this loader's cache (one per expansion; the cache is shared)."""
        from cachetools import LRUCache
        from pyld import ContextResolver

        if self._resolved is None:
            self._resolved = LRUCache(maxsize=256)
        return ContextResolver(self._resolved, self)


@lru_cache(maxsize=16)
def _loader_for(reference: str | None) -> OfflineDocumentLoader:
    return OfflineDocumentLoader(Path(reference) if reference is not None else None)


def document_loader(reference: Path | str | None = None) -> OfflineDocumentLoader:
    """The offline loader for ``reference`` (a reference directory, or None for the pilot's contexts only)."""
    return _loader_for(str(Path(reference).resolve()) if reference is not None else None)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


class _Located(dict[str, Any]):
    """A JSON object that knows its JSON pointer (kept through pyld's deep copy of the input)."""

    pointer: str = ""


def _locate(value: Any, pointer: str) -> Any:
    if isinstance(value, Mapping):
        located = _Located((key, _locate(item, f"{pointer}/{_escape(str(key))}")) for key, item in value.items())
        located.pointer = pointer
        return located
    if isinstance(value, list | tuple):
        return [_locate(item, f"{pointer}/{index}") for index, item in enumerate(value)]
    return value


def _members(value: Any, pointer: str) -> Iterator[tuple[str, Any, str]]:
    """(name, value, pointer) of every member anywhere in ``value``, outside ``@context``."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "@context":
                continue
            here = f"{pointer}/{_escape(str(key))}"
            yield str(key), item, here
            yield from _members(item, here)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _members(item, f"{pointer}/{index}")


def _key_pointers(value: Any, name: str, pointer: str) -> Iterator[str]:
    """The pointer of every member called ``name`` anywhere in ``value`` (outside ``@context``)."""
    return (here for key, _, here in _members(value, pointer) if key == name)


def _type_pointers(value: Any, name: str, pointer: str) -> Iterator[str]:
    """The pointer of every ``type`` / ``@type`` entry equal to ``name`` (outside ``@context``)."""
    for key, item, here in _members(value, pointer):
        if key not in ("type", "@type"):
            continue
        if item == name:
            yield here
        elif isinstance(item, list):
            yield from (f"{here}/{i}" for i, entry in enumerate(item) if entry == name)


def _dropped_message(name: str, mapped_to_null: bool) -> str:
    if name.startswith("@"):
        return (
            f"member {name!r} is not defined by any @context in scope: it has the form of a JSON-LD keyword "
            "but is not one, so expansion drops it; remove it"
        )
    if mapped_to_null:
        return (
            f"member {name!r} is mapped to null by a @context in scope, so expansion drops it; "
            "define it in the pilot context or remove it"
        )
    return f"member {name!r} is not defined by any @context in scope; define it in the pilot context or remove it"


def _relative_types(expanded: Any) -> Iterator[str]:
    """Every node ``@type`` of the expanded form that was a relative IRI (its text as written)."""
    if isinstance(expanded, list):
        for item in expanded:
            yield from _relative_types(item)
    elif isinstance(expanded, dict):
        if "@value" not in expanded:
            types = expanded.get("@type", [])
            for entry in types if isinstance(types, list) else [types]:
                if isinstance(entry, str) and entry.startswith(_RELATIVE_BASE):
                    yield entry[len(_RELATIVE_BASE) :]
        for key, item in expanded.items():
            if key != "@type":
                yield from _relative_types(item)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 3] + "..."


def _processing_problem(exc: BaseException, base_path: str) -> Reason:
    """One Reason for a JSON-LD processing error (pyld's JsonLdError, or ours inside it)."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ContextUnavailableError):
            return Reason(Code.JSONLD_CONTEXT_UNAVAILABLE, f"{base_path}/@context", _short(str(cause)))
        cause = cause.__cause__ or cause.__context__
    code = getattr(exc, "code", None)
    message = str(exc.args[0]) if exc.args else type(exc).__name__
    details = getattr(exc, "details", None)
    where = ""
    if isinstance(details, Mapping):
        term = details.get("term")
        url = details.get("url")
        where = f" (term {term!r})" if isinstance(term, str) else f" ({url})" if isinstance(url, str) else ""
    text = _short(f"JSON-LD expansion failed: {code or type(exc).__name__}: {message}{where}")
    if code in _CONTEXT_ERROR_CODES:
        return Reason(Code.JSONLD_CONTEXT_UNAVAILABLE, f"{base_path}/@context", text)
    if code in _TERM_DEFINITION_ERROR_CODES:
        return Reason(Code.JSONLD_TERM_UNDEFINED, f"{base_path}/@context", text)
    return Reason(Code.JSONLD_TERM_UNDEFINED, base_path or "/", text)


def expansion_problems(document: Any, reference_dir: Path | str | None, base_path: str = "") -> list[Reason]:
    """Expand ``document`` offline (JSON-LD 1.1, pyld) and report what safe mode would refuse.

    ``reference_dir`` holds the W3C and UNTP contexts (None: only the pilot's own contexts resolve);
    ``base_path`` prefixes every pointer (the document's place in a file, e.g. ``/credentials/2``).
    An empty list means the document expands with nothing dropped and every type defined.
    """
    if not isinstance(document, Mapping | list):
        return [Reason(Code.JSONLD_TERM_UNDEFINED, base_path or "/", "a JSON-LD document must be a JSON object")]
    from pyld import jsonld

    loader = document_loader(reference_dir)
    dropped: list[tuple[str, str | None, bool]] = []

    def on_dropped(expanded_property: str | None) -> None:
        # pyld passes the expanded IRI only (None for a keyword-like or null-mapped term); its caller's
        # frame (JsonLdProcessor._expand_object) has the member's own name and the object it sits in.
        caller = sys._getframe(1).f_locals
        key, element = caller.get("key"), caller.get("element")
        name = key if isinstance(key, str) else str(expanded_property)
        pointer = f"{element.pointer}/{_escape(name)}" if isinstance(element, _Located) else None
        dropped.append((name, pointer, expanded_property is None))

    options: dict[str, Any] = {
        "documentLoader": loader,
        "contextResolver": loader.context_resolver(),
        "base": _RELATIVE_BASE,
    }
    with _EXPANSION_LOCK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            expanded = jsonld.expand(_locate(document, base_path), options, on_property_dropped=on_dropped)
        except Exception as exc:  # pyld raises JsonLdError, and plain errors on input it does not expect
            return [_processing_problem(exc, base_path)]
    # pyld warns about term definitions that look like keywords, and about a value's invalid language tag.
    problems: list[Reason] = [
        Reason(
            Code.JSONLD_TERM_UNDEFINED,
            (base_path or "/") if "language" in str(warning.message) else f"{base_path}/@context",
            _short(f"JSON-LD: {warning.message}"),
        )
        for warning in caught
    ]
    seen: set[tuple[str, str]] = set()

    def add(path: str, message: str) -> None:
        if (path, message) not in seen:
            seen.add((path, message))
            problems.append(Reason(Code.JSONLD_TERM_UNDEFINED, path, message))

    for name, pointer, mapped_to_null in dropped:
        message = _dropped_message(name, mapped_to_null and not name.startswith("@"))
        if pointer is not None:
            add(pointer, message)
        else:  # pyld's internals changed: fall back to every member of that name
            for found in list(_key_pointers(document, name, base_path)) or [base_path or "/"]:
                add(found, message)
    for name in _relative_types(expanded):
        message = (
            f"type {name!r} is not defined by any @context in scope (it expands to a relative IRI); "
            "define it in the pilot context or use a defined type"
        )
        for found in list(_type_pointers(document, name, base_path)) or [base_path or "/"]:
            add(found, message)
    return problems

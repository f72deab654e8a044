"""The shared-schema checks of ``pilot conformance validate``: what a UNTP verifier checks, offline.

With a reference directory (``--reference-dir``, else ``PILOT_REFERENCE_DIR``; docs/design.md §4 and
``SOURCES.md`` there), every credential of a file, and every credential of a submission including its
manifest, is checked against:

* the W3C VC Data Model 2.0 JSON Schema (``w3c/verifiable-credential-schema.json``): ``VC_SCHEMA_INVALID``;
* for a ``DigitalFacilityRecord``, ``DigitalTraceabilityEvent`` or ``DigitalConformityCredential``, the
  UNTP JSON Schema of the version its UNTP context URL names, as tests-untp resolves it (only 0.6.1 is
  known: ``untp-0.6.1/untp-<dfr|dte|dcc>-schema.json``); a UNTP context of another version, or a UNTP type
  without its UNTP context, is ``UNTP_SCHEMA_INVALID`` at ``/@context``;
* JSON-LD expansion in safe mode (:func:`schemas.jsonld.expansion_problems`): ``JSONLD_TERM_UNDEFINED``,
  ``JSONLD_CONTEXT_UNAVAILABLE``.

An enveloped credential (VC-JOSE-COSE) is checked through its JWS payload, and a sealed one (a JWE to a
port, docs/design.md §8) through its plaintext when the port's keyAgreement keys are given (``--port-keys``);
pointers into the payload are placed under the credential's own path, as the verifier reports them. The files
of the reference directory are read, never copied; compiled validators are cached per file version.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema_rs
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from pilot.conformance.model import Text
from pilot.language import N_
from schemas.codes import Code
from schemas.errors import JsonMalformedError, PilotSchemaError, Reason
from schemas.jose import is_enveloped, read_enveloped
from schemas.jsonio import parse_json
from schemas.jsonld import UNTP_VERSION, VC_V2_CONTEXT, expansion_problems, untp_context_url
from schemas.phrase import Phrase
from schemas.sealing import is_sealed, open_sealed_credential

__all__ = [
    "NOT_RUN_CHECKS",
    "NOT_RUN_MESSAGE",
    "NOT_RUN_REASON",
    "REFERENCE_FILES",
    "UNTP_TYPES",
    "Finding",
    "check_document",
    "check_file",
    "missing_reference_files",
]

#: The checks that need a reference directory, as the report names them (marked for the catalogues whole: the
#: first names ``UNTP_VERSION``, which a test keeps in step).
NOT_RUN_CHECKS = (N_("UNTP 0.6.1 schemas"), N_("W3C VC 2.0 schema"), N_("JSON-LD expansion"))
#: Why they did not run (English as kept in the JSON report; shown translated in the text one).
NOT_RUN_REASON = N_("no reference directory: pass --reference-dir or set PILOT_REFERENCE_DIR")
NOT_RUN_MESSAGE = f"not run: {', '.join(NOT_RUN_CHECKS)} ({NOT_RUN_REASON})"

#: UNTP credential types and the part of UNTP that defines each.
UNTP_TYPES = {"DigitalFacilityRecord": "dfr", "DigitalTraceabilityEvent": "dte", "DigitalConformityCredential": "dcc"}
_VC_SCHEMA = "w3c/verifiable-credential-schema.json"
_UNTP_DIR = f"untp-{UNTP_VERSION}"
#: Every file the checks read from the reference directory.
REFERENCE_FILES = (
    _VC_SCHEMA,
    "w3c/credentials-v2.jsonld",
    *(f"{_UNTP_DIR}/untp-{part}-schema.json" for part in UNTP_TYPES.values()),
    *(f"{_UNTP_DIR}/untp-{part}-context.jsonld" for part in (*UNTP_TYPES.values(), "core")),
)
_UNTP_CONTEXT = re.compile(r"https://test\.uncefact\.org/vocabulary/untp/([A-Za-z0-9_-]+)/([^/]+)/")
_MESSAGE_LIMIT = 300

_HINTS: dict[Code, Text] = {
    Code.VC_SCHEMA_INVALID: Phrase(
        "make the credential conform to the W3C VC Data Model 2.0 JSON Schema (reference {schema}); the message "
        "names the failing keyword",
        schema=_VC_SCHEMA,
    ),
    Code.JSONLD_TERM_UNDEFINED: N_(
        "every member and type must be defined by a @context in scope (JSON-LD safe mode): define pilot terms "
        "in the pilot context (schemas/contexts/), typed the UNTP way and never through @vocab, or remove them"
    ),
    Code.JSONLD_CONTEXT_UNAVAILABLE: Phrase(
        "use only contexts that resolve offline: {vc_context}, the UNTP {version} contexts (both from the reference "
        "directory) and the pilot's own (schemas/contexts/index.json)",
        vc_context=VC_V2_CONTEXT,
        version=UNTP_VERSION,
    ),
}


@dataclass(frozen=True)
class Finding:
    """One shared-schema failure: the problem (code, pointer in the file, message) and a hint to fix it (English
    with ``str()``, in another language with ``node_core.i18n.translate``)."""

    problem: Reason
    hint: Text


def missing_reference_files(reference: Path) -> list[str]:
    """The files the checks need that ``reference`` lacks (relative paths; empty when complete)."""
    return [name for name in REFERENCE_FILES if not (reference / name).is_file()]


@lru_cache(maxsize=16)
def _validator(path: str, mtime_ns: int, size: int) -> Any:
    del mtime_ns, size  # cache key only: a changed file compiles again
    schema = json.loads(Path(path).read_bytes())
    return jsonschema_rs.validator_for(schema, validate_formats=True, offline=True)


def _compiled(path: Path) -> Any:
    stat = path.stat()
    return _validator(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


def _pointer(parts: list[str | int]) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 3] + "..."


def _schema_findings(
    validator: Any, payload: Any, base: str, code: Code, schema_name: str, hint: Text
) -> list[Finding]:
    findings = []
    for error in validator.iter_errors(payload):
        keyword = error.kind.name
        message = _short(f"{schema_name} ({keyword}): {error.message}")
        findings.append(Finding(Reason(code, base + _pointer(list(error.instance_path)), message), hint))
    return findings


def _types(payload: Mapping[str, Any]) -> list[str]:
    types = payload.get("type")
    if isinstance(types, str):
        return [types]
    return [t for t in types if isinstance(t, str)] if isinstance(types, list) else []


def _untp_contexts(payload: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """``(part, version, url)`` of every UNTP context URL in the payload's ``@context``."""
    context = payload.get("@context")
    entries = context if isinstance(context, list) else [context]
    found: list[tuple[str, str, str]] = []
    for entry in entries:
        if isinstance(entry, str) and (match := _UNTP_CONTEXT.fullmatch(entry)) is not None:
            found.append((match.group(1), match.group(2), entry))
    return found


def _untp_findings(payload: Mapping[str, Any], reference: Path, base: str) -> list[Finding]:
    findings: list[Finding] = []
    contexts = _untp_contexts(payload)
    for type_name in _types(payload):
        part = UNTP_TYPES.get(type_name)
        if part is None:
            continue
        expected = untp_context_url(part)
        context_hint = Phrase(
            "name the UNTP {version} context {expected} in @context, right after {vc_context} (UNTP's schema fixes "
            "both positions)",
            version=UNTP_VERSION,
            expected=expected,
            vc_context=VC_V2_CONTEXT,
        )
        versions = [(version, url) for found_part, version, url in contexts if found_part == part]
        if any(version == UNTP_VERSION for version, _ in versions):
            schema = reference / _UNTP_DIR / f"untp-{part}-schema.json"
            schema_hint = Phrase(
                "make the credential conform to the UNTP {version} {part} JSON Schema (reference {schema}); the "
                "pilot's records are a strict profile of it",
                version=UNTP_VERSION,
                part=part.upper(),
                schema=f"{_UNTP_DIR}/untp-{part}-schema.json",
            )
            findings += _schema_findings(
                _compiled(schema),
                payload,
                base,
                Code.UNTP_SCHEMA_INVALID,
                f"UNTP {UNTP_VERSION} {part.upper()} schema",
                schema_hint,
            )
        elif versions:
            named = ", ".join(f"{version} ({url})" for version, url in versions)
            message = Phrase(
                "a {type} names UNTP {part} context version {named}; this pilot validates UNTP {version} only: "
                "expected {expected}",
                type=type_name,
                part=part,
                named=named,
                version=UNTP_VERSION,
                expected=expected,
            )
            findings.append(Finding(Reason.of(Code.UNTP_SCHEMA_INVALID, f"{base}/@context", message), context_hint))
        else:
            message = Phrase(
                "a {type} is a UNTP type, but its @context names no UNTP {part} context; expected UNTP {version}: "
                "{expected}",
                type=type_name,
                part=part,
                version=UNTP_VERSION,
                expected=expected,
            )
            findings.append(Finding(Reason.of(Code.UNTP_SCHEMA_INVALID, f"{base}/@context", message), context_hint))
    return findings


def check_credential(
    credential: Any,
    reference: Path,
    path: str = "",
    agreement_keys: Mapping[str, X25519PrivateKey] | None = None,
) -> list[Finding]:
    """Every shared-schema failure of one credential found at ``path`` in its file.

    An enveloped credential is checked through its JWS payload, a sealed one through its plaintext when
    ``agreement_keys`` (the port's keyAgreement private keys by key id) open it; one whose envelope cannot be
    read or opened is left to the verifier, which reports it (nothing is found here).
    """
    if not isinstance(credential, Mapping):
        return []
    payload: Any = credential
    try:
        if is_sealed(credential):
            if agreement_keys is None:
                return []
            payload = open_sealed_credential(credential, agreement_keys).credential
        elif is_enveloped(credential):
            payload = read_enveloped(credential).payload
    except PilotSchemaError:
        return []
    findings = _schema_findings(
        _compiled(reference / _VC_SCHEMA),
        payload,
        path,
        Code.VC_SCHEMA_INVALID,
        "W3C VC 2.0 JSON Schema",
        _HINTS[Code.VC_SCHEMA_INVALID],
    )
    findings += _untp_findings(payload, reference, path)
    findings += [Finding(problem, _HINTS[problem.code]) for problem in expansion_problems(payload, reference, path)]
    return findings


def check_document(
    document: Any, reference: Path, agreement_keys: Mapping[str, X25519PrivateKey] | None = None
) -> list[Finding]:
    """A credential, or a submission's manifest and every credential it carries (sealed ones opened with
    ``agreement_keys`` when given)."""
    if isinstance(document, Mapping) and "manifest" in document:
        findings = check_credential(document["manifest"], reference, "/manifest", agreement_keys)
        credentials = document.get("credentials")
        if isinstance(credentials, list):
            for index, credential in enumerate(credentials):
                findings += check_credential(credential, reference, f"/credentials/{index}", agreement_keys)
        return findings
    return check_credential(document, reference, agreement_keys=agreement_keys)


def check_file(
    path: Path, reference: Path, agreement_keys: Mapping[str, X25519PrivateKey] | None = None
) -> list[Finding]:
    """The shared-schema failures of a credential or submission file (none for a file that is not JSON)."""
    try:
        document = parse_json(path.read_bytes())
    except JsonMalformedError:
        return []
    return check_document(document, reference, agreement_keys)

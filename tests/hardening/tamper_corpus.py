"""The tamper corpus: named hostile variants of the published valid submissions, each with its expected answer.

Every case starts from one file of ``schemas/vectors/valid/submission-*.json`` (the submissions a default
sandbox port ``cn-port-01`` accepts) and is one of:

- ``Neutral``: the same JSON value written differently (key order, whitespace, number forms, string
  escapes, padding up to the size limit). Same RFC 8785 bytes, so the port must answer ``200`` with the
  original receipt, byte for byte, and add no log entry.
- ``Rejected``: a semantic change (each field changed, removed or added; proofs altered; keys swapped).
  The body parses, so the port answers with a signed receipt (docs/design.md §6) whose decision is
  ``rejected`` and whose reasons hold at least one of the expected receipt reason codes.
- ``Refused``: the request itself is refused with an RFC 9457 problem: its HTTP status and ``code``
  (duplicate keys, NaN, huge integers, deep nesting, bad UTF-8, oversized bodies, wrong signer).

``build_corpus(deep=False)`` samples the per-field cases (CI size, >= 500 cases); ``deep=True`` takes
every field of every vector.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from tests.support.files import VECTORS
from tests.support.json_paths import JsonPath, get, leaves

ONE_MIB = 1024 * 1024

Path_ = JsonPath


@dataclass(frozen=True)
class Neutral:
    """Same canonical bytes: 200 and the original receipt bytes."""


@dataclass(frozen=True)
class Rejected:
    """A receipt with decision ``rejected`` and at least one of ``codes`` among its reasons."""

    codes: frozenset[str]


@dataclass(frozen=True)
class Equivalent:
    """Other canonical bytes, same signed content: accepted on its own (201), a 409 over the original.

    The one such change is dropping a proof's ``@context``: vc-di-eddsa §3.3.5 builds the proof
    configuration with the document's ``@context`` whatever the proof carries, so the signature covers it.
    """


@dataclass(frozen=True)
class Refused:
    """An RFC 9457 problem with this status and code; no receipt, no log entry."""

    status: int
    code: str


Expectation = Neutral | Equivalent | Rejected | Refused


@dataclass(frozen=True)
class Case:
    """One hostile request: the body, who signs it, the submission it targets and what must come back."""

    name: str
    vector: str
    exporter: str
    submission_id: str
    body: bytes
    expect: Expectation
    signer: str | None = None  # None: the vector's own exporter

    @property
    def category(self) -> str:
        """The family of the case (the part of the name before the first ``/``)."""
        return self.name.split("/", 1)[0]


@dataclass(frozen=True)
class Vector:
    """A valid submission vector: its file name, parsed document, exporter and id."""

    name: str
    document: dict[str, Any]

    @property
    def exporter(self) -> str:
        found = re.search(r"ru-exp-\d\d", self.name)
        assert found is not None, self.name
        return found.group(0)

    @property
    def submission_id(self) -> str:
        return str(self.document["submissionId"])

    def compact(self) -> bytes:
        return dumps(self.document)


def load_vectors() -> list[Vector]:
    """Every valid submission vector, in file-name order."""
    expected = json.loads((VECTORS / "expected.json").read_text())
    names = sorted(n for n, e in expected.items() if e["kind"] == "submission" and e["expect"] == "accept")
    return [Vector(n.removesuffix(".json"), json.loads((VECTORS / "valid" / n).read_bytes())) for n in names]


def dumps(document: Any, **kwargs: Any) -> bytes:
    """JSON bytes of ``document``; compact and UTF-8 unless told otherwise."""
    options: dict[str, Any] = {"separators": (",", ":"), "ensure_ascii": False, **kwargs}
    return json.dumps(document, **options).encode()


# -- walking a document (leaves and get: tests.support.json_paths) -------------------------------------


def members(document: Any, path: Path_ = ()) -> Iterator[Path_]:
    """Paths of every object member in ``document``."""
    if isinstance(document, dict):
        for key, value in document.items():
            yield (*path, key)
            yield from members(value, (*path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from members(value, (*path, index))


def objects(document: Any, path: Path_ = ()) -> Iterator[Path_]:
    """Paths of every object in ``document`` (the root included)."""
    if isinstance(document, dict):
        yield path
        for key, value in document.items():
            yield from objects(value, (*path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from objects(value, (*path, index))


def with_change(document: Any, path: Path_, change: Callable[[Any, str | int], None]) -> Any:
    """A deep copy of ``document`` with ``change(parent, key)`` applied at ``path``."""
    changed = copy.deepcopy(document)
    change(get(changed, path[:-1]), path[-1])
    return changed


def mutated(value: Any) -> Any:
    """A different value of the same JSON type."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 0.5
    if isinstance(value, str):
        if not value:
            return "x"
        middle = len(value) // 2
        replacement = "Q" if value[middle] != "Q" else "R"
        return value[:middle] + replacement + value[middle + 1 :]
    return "x"  # null


def sample(paths: list[Path_], budget: int | None) -> list[Path_]:
    """Every path (``budget`` None), or ``budget`` of them spread evenly over the document."""
    if budget is None or len(paths) <= budget:
        return paths
    step = len(paths) / budget
    return [paths[int(i * step)] for i in range(budget)]


def pointer(path: Path_) -> str:
    """JSON Pointer of ``path`` (for case names)."""
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)


# -- expected codes by where the change is ------------------------------------------------------------

#: A change inside a signed credential breaks its proof or, for a credential the manifest pins, its digest.
CREDENTIAL_CHANGE = frozenset(
    {"PROOF_INVALID", "EVIDENCE_DIGEST_MISMATCH", "SCHEMA_INVALID", "REFERENCED_CREDENTIAL_MISSING", "PROOF_MISSING"}
)
#: A change inside the manifest breaks its proof (or its shape).
MANIFEST_CHANGE = frozenset(
    {"PROOF_INVALID", "SCHEMA_INVALID", "PROOF_MISSING", "CRYPTOSUITE_UNSUPPORTED", "ISSUER_UNKNOWN"}
)
#: ``submissionId`` must equal the manifest's ``consignmentId``.
ID_CHANGE = frozenset({"SCHEMA_INVALID"})


def expected_for(path: Path_) -> frozenset[str]:
    """The receipt reason codes any one of which a change at ``path`` must produce."""
    if path[0] == "manifest":
        return MANIFEST_CHANGE
    if path[0] == "credentials":
        return CREDENTIAL_CHANGE
    if path[0] == "submissionId":
        return ID_CHANGE
    return frozenset({"SCHEMA_INVALID"})


# -- the families --------------------------------------------------------------------------------------


def field_changes(vector: Vector, budget: int | None) -> Iterator[Case]:
    """Each scalar changed, each member removed, an unknown member added to each object."""
    doc = vector.document

    def case(name: str, changed: Any, expect: Expectation, sid: str | None = None) -> Case:
        return Case(name, vector.name, vector.exporter, sid or vector.submission_id, dumps(changed), expect)

    for path in sample(list(leaves(doc)), budget):

        def replace(parent: Any, key: Any) -> None:
            parent[key] = mutated(parent[key])

        changed = with_change(doc, path, replace)
        sid = changed["submissionId"] if path == ("submissionId",) else None
        yield case(f"field-changed/{vector.name}{pointer(path)}", changed, Rejected(expected_for(path)), sid)
    removable = [p for p in members(doc) if p != ("submissionId",)]
    for path in sample(removable, None if budget is None else budget // 3):

        def remove(parent: Any, key: Any) -> None:
            del parent[key]

        expect: Expectation = Rejected(expected_for(path))
        if path == ("manifest", "proof", "@context"):
            expect = Equivalent()
        yield case(f"field-removed/{vector.name}{pointer(path)}", with_change(doc, path, remove), expect)
    for path in sample([p for p in objects(doc) if p], None if budget is None else budget // 6):

        def add(parent: Any, key: Any) -> None:
            parent[key]["x-tamper"] = "added"

        yield case(
            f"field-added/{vector.name}{pointer(path)}", with_change(doc, path, add), Rejected(expected_for(path))
        )


def _proofs(doc: dict[str, Any]) -> list[tuple[str, Path_]]:
    """(label, path) of every embedded proof: the manifest's and each credential's."""
    found = [("manifest", ("manifest", "proof"))] if isinstance(doc["manifest"].get("proof"), dict) else []
    for index, credential in enumerate(doc["credentials"]):
        if isinstance(credential, dict) and isinstance(credential.get("proof"), dict):
            found.append((f"credential-{index}", ("credentials", index, "proof")))
    return found


def _flip_multibase(value: str) -> str:
    middle = len(value) // 2
    return value[:middle] + ("2" if value[middle] != "2" else "3") + value[middle + 1 :]


#: (name, change to the proof object, expected codes) for every embedded proof.
PROOF_ALTERATIONS: list[tuple[str, Callable[[dict[str, Any]], None], frozenset[str]]] = [
    ("proofValue-char", lambda p: p.update(proofValue=_flip_multibase(p["proofValue"])), frozenset({"PROOF_INVALID"})),
    ("proofValue-truncated", lambda p: p.update(proofValue=p["proofValue"][:-4]), frozenset({"PROOF_INVALID"})),
    ("proofValue-base64", lambda p: p.update(proofValue="u" + "A" * 86), frozenset({"PROOF_INVALID"})),
    ("proofValue-empty", lambda p: p.update(proofValue=""), frozenset({"PROOF_INVALID", "SCHEMA_INVALID"})),
    (
        "proofValue-removed",
        lambda p: p.pop("proofValue"),
        frozenset({"PROOF_INVALID", "PROOF_MISSING", "SCHEMA_INVALID"}),
    ),
    ("created-later", lambda p: p.update(created="2026-01-02T00:00:00Z"), frozenset({"PROOF_INVALID"})),
    ("cryptosuite-other", lambda p: p.update(cryptosuite="ecdsa-rdfc-2019"), frozenset({"CRYPTOSUITE_UNSUPPORTED"})),
    (
        "type-other",
        lambda p: p.update(type="Ed25519Signature2020"),
        frozenset({"CRYPTOSUITE_UNSUPPORTED", "PROOF_INVALID", "SCHEMA_INVALID"}),
    ),
    ("purpose-authentication", lambda p: p.update(proofPurpose="authentication"), frozenset({"PROOF_INVALID"})),
    ("context-dropped", lambda p: p.pop("@context", None), frozenset({"PROOF_INVALID"})),
    (
        "vm-other-exporter",
        lambda p: p.update(
            verificationMethod="did:web:pilot.example:ru-exp-06#key-1"
            if "ru-exp-06" not in p["verificationMethod"]
            else "did:web:pilot.example:ru-exp-05#key-1"
        ),
        frozenset({"PROOF_INVALID", "ISSUER_UNKNOWN", "ISSUER_ROLE_NOT_AUTHORIZED"}),
    ),
    (
        "vm-unknown-participant",
        lambda p: p.update(verificationMethod="did:web:pilot.example:ru-exp-99#key-1"),
        frozenset({"ISSUER_UNKNOWN"}),
    ),
    (
        "vm-unknown-key",
        lambda p: p.update(verificationMethod=p["verificationMethod"].rsplit("#", 1)[0] + "#key-9"),
        frozenset({"ISSUER_UNKNOWN", "PROOF_INVALID"}),
    ),
    (
        "vm-port-key",
        lambda p: p.update(verificationMethod="did:web:pilot.example:cn-port-01#key-1"),
        frozenset({"PROOF_INVALID", "ISSUER_ROLE_NOT_AUTHORIZED", "ISSUER_UNKNOWN"}),
    ),
    (
        "vm-network-url",
        lambda p: p.update(verificationMethod="https://attacker.example/key.json"),
        frozenset({"ISSUER_UNKNOWN", "SCHEMA_INVALID"}),
    ),
    ("proof-removed", None, frozenset({"PROOF_MISSING"})),  # type: ignore[list-item]
    ("proof-as-list", None, frozenset({"PROOF_MISSING", "PROOF_INVALID", "SCHEMA_INVALID"})),  # type: ignore[list-item]
]


def proof_alterations(vector: Vector, *, deep: bool) -> Iterator[Case]:
    """Each embedded proof (CI size: the manifest's, the first and the last credential's) altered each way."""
    doc = vector.document
    proofs = _proofs(doc)
    for label, path in proofs if deep else proofs[:2] + proofs[-1:]:
        base = MANIFEST_CHANGE if label == "manifest" else CREDENTIAL_CHANGE
        for name, change, codes in PROOF_ALTERATIONS:
            changed = copy.deepcopy(doc)
            parent = get(changed, path[:-1])
            if name == "proof-removed":
                del parent["proof"]
            elif name == "proof-as-list":
                parent["proof"] = [parent["proof"], copy.deepcopy(parent["proof"])]
            else:
                change(parent["proof"])
            expect: Expectation = Rejected(codes if label == "manifest" else codes | base)
            if name == "context-dropped" and label == "manifest":
                expect = Equivalent()
            body = dumps(changed)
            yield Case(
                f"proof-altered/{vector.name}/{label}/{name}",
                vector.name,
                vector.exporter,
                vector.submission_id,
                body,
                expect,
            )


def key_swaps(vector: Vector) -> Iterator[Case]:
    """Proofs swapped between credentials, a credential replaced by another vector's, and the wrong request signer."""
    doc = vector.document
    proofs = _proofs(doc)
    sid, exporter = vector.submission_id, vector.exporter
    for (label_a, path_a), (label_b, path_b) in itertools.pairwise(proofs):
        changed = copy.deepcopy(doc)
        parent_a, parent_b = get(changed, path_a[:-1]), get(changed, path_b[:-1])
        parent_a["proof"], parent_b["proof"] = parent_b["proof"], parent_a["proof"]
        codes = MANIFEST_CHANGE | CREDENTIAL_CHANGE
        yield Case(
            f"keys-swapped/{vector.name}/proofs-{label_a}-{label_b}",
            vector.name,
            exporter,
            sid,
            dumps(changed),
            Rejected(codes),
        )
    compact = vector.compact()
    wrong_signers: list[tuple[str, Expectation]] = [
        ("another-exporter", Rejected(frozenset({"MANIFEST_EXPORTER_MISMATCH"}))),
        ("cert-01", Refused(403, "FORBIDDEN")),
        ("ru-vet", Refused(403, "FORBIDDEN")),
        ("cn-port-02", Refused(403, "FORBIDDEN")),
        ("pilot-gov", Refused(401, "REQUEST_SIGNATURE_INVALID")),
    ]
    for signer, expect in wrong_signers:
        who = ("ru-exp-02" if exporter != "ru-exp-02" else "ru-exp-03") if signer == "another-exporter" else signer
        yield Case(
            f"keys-swapped/{vector.name}/request-signed-by-{signer}",
            vector.name,
            who if signer == "another-exporter" else exporter,
            sid,
            compact,
            expect,
            signer=who,
        )


# -- semantically neutral re-serializations -------------------------------------------------------------


def _escape_all(text: str) -> str:
    return "".join(f"\\u{ord(c):04x}" if ord(c) < 0x10000 else json.dumps(c)[1:-1] for c in text)


def _rewrite_strings(body: bytes, every: int) -> bytes:
    """Every ``every``-th JSON string literal written entirely as ``\\uXXXX`` escapes."""
    counter = iter(range(1 << 30))

    def escape(match: re.Match[str]) -> str:
        if next(counter) % every:
            return match.group(0)
        return '"' + _escape_all(json.loads(match.group(0))) + '"'

    return re.sub(r'"(?:[^"\\]|\\.)*"', escape, body.decode()).encode()


def _outside_strings(body: bytes, rewrite: Callable[[str], str]) -> bytes:
    """``body`` with ``rewrite`` applied to the text between its JSON string literals."""
    tokens = re.split(r'("(?:[^"\\]|\\.)*")', body.decode())
    return "".join(t if t.startswith('"') else rewrite(t) for t in tokens).encode()


def _rewrite_numbers(body: bytes, form: Callable[[str], str]) -> bytes:
    """Every number token outside strings rewritten by ``form`` (same value, other spelling)."""
    number = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
    return _outside_strings(body, lambda text: number.sub(lambda m: form(m.group(0)), text))


def _exponent(number: str) -> str:
    if "." in number or "e" in number.lower():
        value = float(number)
        mantissa, exponent = f"{value:.17e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}E{int(exponent):+d}"
    return f"{number}e0"


def _decimal(number: str) -> str:
    if "." in number or "e" in number.lower():
        return number + "000" if "e" not in number.lower() else number
    return number + ".0"


def _reorder(document: Any, order: Callable[[list[str]], list[str]]) -> Any:
    if isinstance(document, dict):
        return {k: _reorder(document[k], order) for k in order(list(document))}
    if isinstance(document, list):
        return [_reorder(v, order) for v in document]
    return document


def _padded(body: bytes, size: int) -> bytes:
    """``body`` with whitespace inserted after its first ``{`` up to exactly ``size`` bytes."""
    return body[:1] + b" " * (size - len(body)) + body[1:]


def neutral_forms(vector: Vector) -> list[tuple[str, bytes]]:
    """(name, body) of re-serializations with the same RFC 8785 bytes."""
    doc = vector.document
    compact = vector.compact()
    rotate: Callable[[list[str]], list[str]] = lambda keys: keys[1:] + keys[:1]  # noqa: E731
    return [
        ("as-published", (VECTORS / "valid" / f"{vector.name}.json").read_bytes()),
        ("compact", compact),
        ("keys-sorted", dumps(doc, sort_keys=True)),
        ("keys-reversed", dumps(_reorder(doc, lambda k: k[::-1]))),
        ("keys-rotated", dumps(_reorder(doc, rotate))),
        ("indent-2", dumps(doc, indent=2, separators=(",", ": "))),
        ("indent-tab", dumps(doc, indent="\t", separators=(",", ": "))),
        ("spaces-everywhere", dumps(doc, separators=(" , ", " : "))),
        ("crlf-and-tabs", _outside_strings(compact, lambda t: t.replace(",", ",\r\n\t"))),
        ("surrounding-whitespace", b" \n\t\r" + compact + b"\r\n\t "),
        ("ensure-ascii", dumps(doc, ensure_ascii=True)),
        ("unicode-escapes-every-string", _rewrite_strings(compact, 1)),
        ("unicode-escapes-every-third-string", _rewrite_strings(compact, 3)),
        ("escaped-solidus", compact.replace(b"/", b"\\/")),
        ("numbers-exponent", _rewrite_numbers(compact, _exponent)),
        ("numbers-decimal-point", _rewrite_numbers(compact, _decimal)),
        ("numbers-upper-exponent-zero", _rewrite_numbers(compact, lambda n: n + "E+0" if "e" not in n.lower() else n)),
        (
            "numbers-negative-exponent",
            _rewrite_numbers(compact, lambda n: n + "0e-1" if n.lstrip("-").isdigit() else n),
        ),
        ("padded-to-1-MiB", _padded(compact, ONE_MIB)),
    ]


def neutral_cases(vector: Vector) -> Iterator[Case]:
    """Each neutral form of ``vector``: the original receipt, byte for byte."""
    for name, body in neutral_forms(vector):
        yield Case(
            f"re-serialized/{vector.name}/{name}", vector.name, vector.exporter, vector.submission_id, body, Neutral()
        )


# -- malformed or oversized bodies ----------------------------------------------------------------------

MALFORMED = Refused(400, "JSON_MALFORMED")


def _nest(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def malformed_cases(vector: Vector) -> Iterator[Case]:
    """Bodies the strict parser or the size limit refuses before anything is decided."""
    compact = vector.compact()
    text = compact.decode()
    sid = vector.submission_id
    first_number = re.search(r":(\d+(?:\.\d+)?)[,}]", text)

    def number(replacement: str) -> bytes:
        if first_number is None:  # an all-enveloped submission: the number goes into an added member
            return (text[:-1] + ',"x":' + replacement + "}").encode()
        return (text[: first_number.start(1)] + replacement + text[first_number.end(1) :]).encode()

    manifest_key = text.index('"manifest":{') + len('"manifest":{')
    bodies: list[tuple[str, bytes, Expectation]] = [
        ("duplicate-key-top", compact[:-1] + b',"submissionId":"' + sid.encode() + b'"}', MALFORMED),
        (
            "duplicate-key-manifest",
            (text[:manifest_key] + '"id":"urn:x","id":"urn:y",' + text[manifest_key:]).encode(),
            MALFORMED,
        ),
        ("duplicate-key-same-value", compact[:-1] + b',"submissionId":' + json.dumps(sid).encode() + b"}", MALFORMED),
        (
            "duplicate-key-escaped-spelling",
            compact[:-1] + b',"submission\\u0049d":' + json.dumps(sid).encode() + b"}",
            MALFORMED,
        ),
        ("nan", number("NaN"), MALFORMED),
        ("infinity", number("Infinity"), MALFORMED),
        ("minus-infinity", number("-Infinity"), MALFORMED),
        ("number-overflows-to-infinity", number("1e400"), MALFORMED),
        ("integer-2^53", number(str(2**53)), MALFORMED),
        ("integer-minus-2^53", number(str(-(2**53))), MALFORMED),
        ("integer-2^64", number(str(2**64)), MALFORMED),
        ("integer-10^400", number("1" + "0" * 400), MALFORMED),
        ("integer-100k-digits", number("9" * 100_000), MALFORMED),
        ("nesting-65", compact[:-1] + b',"x":' + _nest(64) + b"}", MALFORMED),
        ("nesting-1000", compact[:-1] + b',"x":' + _nest(999) + b"}", MALFORMED),
        ("nesting-100000-unclosed", b"[" * 100_000, MALFORMED),
        ("nesting-objects-200", compact[:-1] + b',"x":' + b'{"a":' * 200 + b"1" + b"}" * 200 + b"}", MALFORMED),
        (
            "invalid-utf8",
            compact.replace(b"rail", b"r\xffil", 1) if b"rail" in compact else compact[:-2] + b"\xff}",
            MALFORMED,
        ),
        ("overlong-utf8", compact[:-1] + b',"x":"\xc0\xaf"}', MALFORMED),
        ("lone-surrogate", compact[:-1] + b',"x":"\\ud800"}', MALFORMED),
        ("byte-order-mark", b"\xef\xbb\xbf" + compact, MALFORMED),
        ("utf16-encoded", text.encode("utf-16"), MALFORMED),
        ("trailing-comma", compact[:-1] + b",}", MALFORMED),
        ("trailing-data", compact + b"{}", MALFORMED),
        ("two-documents", compact + b"\n" + compact, MALFORMED),
        ("truncated", compact[: len(compact) // 2], MALFORMED),
        ("single-quotes", compact.replace(b'"', b"'"), MALFORMED),
        ("comment", b"/* c */" + compact, MALFORMED),
        ("empty-body", b"", MALFORMED),
        ("whitespace-only", b" \n ", MALFORMED),
        ("oversized-by-one-byte", _padded(compact, ONE_MIB + 1), Refused(413, "PAYLOAD_TOO_LARGE")),
        ("oversized-string", compact[:-1] + b',"x":"' + b"a" * ONE_MIB + b'"}', Refused(413, "PAYLOAD_TOO_LARGE")),
        ("oversized-8-MiB", _padded(compact, 8 * ONE_MIB), Refused(413, "PAYLOAD_TOO_LARGE")),
    ]
    for name, body, expect in bodies:
        yield Case(f"malformed/{vector.name}/{name}", vector.name, vector.exporter, sid, body, expect)


def build_corpus(*, deep: bool = False) -> list[Case]:
    """The whole corpus: every family for every valid submission vector (``deep``: every field)."""
    budget = None if deep else 30
    cases: list[Case] = []
    for vector in load_vectors():
        cases += field_changes(vector, budget)
        cases += proof_alterations(vector, deep=deep)
        cases += key_swaps(vector)
        cases += neutral_cases(vector)
        cases += malformed_cases(vector)
    duplicates = {n for n, count in Counter(c.name for c in cases).items() if count > 1}
    assert not duplicates, sorted(duplicates)[:5]
    return cases

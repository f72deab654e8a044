"""A credential's payload validated against its record model, remembered by the credential's digest.

Validating a payload (pydantic), its semantic checks (a facility's polygon) and the data category of every
field are pure functions of the payload's bytes: the same credential always gives the same model, the same
problems and the same categories. An exporter sends its farms' and plant's facility records again with every
consignment, so a port judges the same credential over and over; ``validated_record`` remembers the verdict of
the ``MEMO_SIZE`` most recent ones by ``(digest, path)`` (the digest is taken over the RFC 8785 bytes of the
whole credential, its proof included; the path is in every problem's pointer). A consignment manifest is made for
one submission (it pins that submission's credentials), so it is judged and not remembered. A verdict holds 12 to
25 KiB (tracemalloc, the benchmark's records): the memo at most about 13 MiB.

Only what follows from the bytes alone is remembered. The signature is verified on every submission, the key
resolved from the trust list held then, the issuer's role and the validity window judged at that moment: the
caller asks for a verdict only after the signature has verified (``schemas.verify``). The models are frozen
pydantic models and the problems and categories tuples, so a verdict shared by many reports cannot change.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from schemas.errors import Reason
from schemas.models.base import DataCategory, field_categories
from schemas.models.registry import credential_type_of
from schemas.models.validate import semantic_problems, validate_credential_payload

__all__ = ["MEMO_SIZE", "ValidatedRecord", "validated_record"]

#: How many verdicts are remembered (the least recently used goes first): the farms and plants of a pilot's
#: exporters many times over.
MEMO_SIZE = 512

#: Record types never judged twice, so never remembered.
_ONE_SUBMISSION_ONLY = frozenset({"ConsignmentManifest"})


@dataclass(frozen=True)
class ValidatedRecord:
    """One payload judged against its record model."""

    #: The validated model; None when the payload does not fit its record type's model.
    model: BaseModel | None
    #: The schema problems (``SCHEMA_INVALID``), at pointers under the path asked for.
    problems: tuple[Reason, ...]
    #: The semantic problems of a valid model (``GEOMETRY_INVALID``); empty without a model.
    semantic: tuple[Reason, ...]
    #: (JSON pointer, data category) of every present field of the model; None without a model.
    categories: tuple[tuple[str, DataCategory], ...] | None


def _judge(payload: Mapping[str, Any], path: str) -> ValidatedRecord:
    model, problems = validate_credential_payload(payload, path)
    if model is None:
        return ValidatedRecord(None, tuple(problems), (), None)
    semantic = tuple(semantic_problems(model, path))
    return ValidatedRecord(model, tuple(problems), semantic, tuple(field_categories(model)))


class _Memo:
    """The most recent verdicts by key, bounded; safe to share between a port's intake threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str], ValidatedRecord] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> ValidatedRecord | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[str, str], verdict: ValidatedRecord) -> None:
        with self._lock:
            self._items[key] = verdict
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


_MEMO = _Memo(MEMO_SIZE)


def validated_record(payload: Mapping[str, Any], path: str, digest: str) -> ValidatedRecord:
    """``payload`` (a credential whose ``credential_digest`` is ``digest``) judged against its record model.

    Problems point under ``path``. ``digest`` must be the digest of this very payload: it is the memo's key.
    """
    if credential_type_of(payload) in _ONE_SUBMISSION_ONLY:
        return _judge(payload, path)
    key = (digest, path)
    verdict = _MEMO.get(key)
    if verdict is None:
        verdict = _judge(payload, path)
        _MEMO.put(key, verdict)
    return verdict

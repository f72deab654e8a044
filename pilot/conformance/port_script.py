"""What the stand-in port answers a submission with: the action vocabulary and the scripts of actions.

An action names one answer to one ``POST /v1/submissions``:

- ``receipt`` (or ``ok``): decided, logged and answered as the port would;
- ``status:<status>:<CODE>``: that problem answer, nothing logged; ``503`` and ``409`` are short for
  ``status:503:LOG_UNAVAILABLE`` and ``status:409:DUPLICATE_CONFLICT``;
- ``drop``: the connection closes before any answer, nothing logged;
- ``timeout``: no answer in time, nothing logged (in process ``httpx.ReadTimeout``; over the socket the
  connection closes, as the socket server cannot know the client's timeout);
- ``lost-answer``: logged and answered, but the connection closes before the answer leaves;
- ``bad-signature``: a receipt signed under the port's key id by a key that is not the port's;
- ``wrong-signer``: a receipt validly signed by another port;
- ``forked-checkpoint`` (or ``fork``): a receipt whose checkpoint comes from a forked log of the same size.

A ``PortScript`` holds a sequence for whatever submissions come next (each action used once) and a
script per ``submissionId`` (the last action repeats); a submission neither names gets a receipt.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from schemas.codes import Code

__all__ = ["Action", "PortScript", "Scripted", "scripted"]

#: One action of the vocabulary above (``status:<status>:<CODE>`` takes any status and code).
Action = str
ReceiptFault = Literal["impostor", "other-port", "fork"]

_SHORT = {
    "ok": "receipt",
    "fork": "forked-checkpoint",
    "503": f"status:503:{Code.LOG_UNAVAILABLE}",
    "409": f"status:409:{Code.DUPLICATE_CONFLICT}",
}
_RECEIPTS: dict[str, ReceiptFault | None] = {
    "receipt": None,
    "lost-answer": None,
    "bad-signature": "impostor",
    "wrong-signer": "other-port",
    "forked-checkpoint": "fork",
}


@dataclass(frozen=True)
class Scripted:
    """One action, read: what the stand-in does with the submission it answers."""

    action: Action  # as scripted: what the request log records
    problem: tuple[int, str] | None = None  # answered with this status and code, nothing logged
    unanswered: Literal["drop", "timeout"] | None = None  # no answer, nothing logged
    receipt_fault: ReceiptFault | None = None  # how the receipt is made wrong
    lose_answer: bool = False  # logged and answered, then the answer is lost

    @property
    def detail(self) -> str:
        """The problem answer's detail."""
        status = self.problem[0] if self.problem else 0
        then = "retry later" if status == 429 or status >= 500 else "a final answer"
        return f"the stand-in answers {status} on purpose: {then}"


def scripted(action: Action) -> Scripted:
    """``action`` read; ValueError when it is not in the vocabulary."""
    name = _SHORT.get(action, action)
    if name in _RECEIPTS:
        return Scripted(action, receipt_fault=_RECEIPTS[name], lose_answer=name == "lost-answer")
    if name in ("drop", "timeout"):
        return Scripted(action, unanswered="drop" if name == "drop" else "timeout")
    kind, _, rest = name.partition(":")
    status, _, code = rest.partition(":")
    if kind != "status" or not status.isdigit() or not 400 <= int(status) <= 599 or not code:
        raise ValueError(f"not a stand-in action: {action!r}")
    return Scripted(action, problem=(int(status), code))


@dataclass
class PortScript:
    """The actions waiting for the next submissions: a sequence for any submission, then one script per id."""

    _next: list[Scripted] = field(default_factory=list)
    _by_id: dict[str, list[Scripted]] = field(default_factory=dict)

    def for_id(self, submission_id: str, actions: Iterable[Action]) -> None:
        """Answer the requests for ``submission_id`` with ``actions`` in turn (the last one repeats)."""
        self._by_id[submission_id] = [scripted(a) for a in actions]

    def next(self, actions: Iterable[Action]) -> None:
        """Answer the next submissions, whatever their id, with ``actions`` in turn, once each."""
        self._next = [scripted(a) for a in actions]

    @property
    def pending(self) -> list[Action]:
        """The sequence's actions not used yet."""
        return [s.action for s in self._next]

    def take(self, submission_id: str | None) -> Scripted:
        """The action that answers this submission now (the sequence first, then its id's script)."""
        if self._next:
            return self._next.pop(0)
        script = self._by_id.get(submission_id or "", [])
        if not script:
            return Scripted("receipt")
        return script.pop(0) if len(script) > 1 else script[0]

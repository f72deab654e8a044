"""Group commit: writes that arrive while one group is being written wait, and are written together next.

Whoever finds no group being written writes the next one: the first ``limit`` writes of the queue, in arrival
order, with the ``write_group`` it was given (``SqlSubmissionStore._write_group``: one transaction for the
group, each member alone if that fails). The others wait for it and then take their turn, so a queue never
waits for a timer: a write alone is written at once, and one that arrives during a write waits for that write
and then its own group's, never longer (docs/design.md §10). Each write gets its own outcome: its stored row,
or the error that refused it.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["GroupCommitQueue", "Queued"]

Write = TypeVar("Write")
Result = TypeVar("Result")


class Queued(Generic[Write, Result]):
    """A write in the queue, and its outcome once a group wrote it (or gave up on it)."""

    __slots__ = ("done", "error", "result", "write")

    def __init__(self, write: Write) -> None:
        self.write = write
        self.done = False
        self.result: Result | None = None
        self.error: BaseException | None = None

    def succeed(self, result: Result) -> None:
        self.result, self.done = result, True

    def fail(self, error: BaseException) -> None:
        self.error, self.done = error, True

    def outcome(self) -> Result:
        """The result; the error re-raised if the write failed."""
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


class GroupCommitQueue(Generic[Write, Result]):
    """The queue of writes and the turn to write a group (one writer at a time in this process)."""

    def __init__(self, write_group: Callable[[list[Queued[Write, Result]]], None], limit: int) -> None:
        self.write_group = write_group
        self.limit = limit
        self._queue: deque[Queued[Write, Result]] = deque()
        self._turn = threading.Condition()
        self._writing = False  # a thread is writing a group now

    @property
    def waiting(self) -> int:
        """How many writes are queued and not taken into a group yet."""
        with self._turn:
            return len(self._queue)

    def commit(self, mine: list[Queued[Write, Result]]) -> list[Queued[Write, Result]]:
        """Queue ``mine`` and return once each is done: written by this thread or by another one."""
        turn = self._turn
        with turn:
            self._queue.extend(mine)
            while not all(queued.done for queued in mine):
                if self._writing:
                    turn.wait()
                    continue
                self._writing = True
                group = [self._queue.popleft() for _ in range(min(len(self._queue), self.limit))]
                turn.release()
                try:
                    self.write_group(group)
                except BaseException as exc:  # not a database failure: nobody of this group may wait forever
                    for queued in group:
                        if not queued.done:
                            queued.fail(exc)
                    raise
                finally:
                    turn.acquire()
                    self._writing = False
                    turn.notify_all()
        return mine

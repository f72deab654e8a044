"""Tables for the ``pilot`` command's text output that never cut a cell short.

Rich ends a cell too long for its column with "…" by default. A table made here folds it instead: on a
terminal narrower than the table, a long code, id or path wraps onto a further line, whole. Off a
terminal the console has no width (``pilot.console.PipeAwareConsole``), so nothing wraps or folds at all
and every cell stays on its line(s), whole. A title is never narrower than its text, so the table is at
least as wide as its title (a title that names a path is not folded either).
"""

from __future__ import annotations

from rich.table import Column, Table
from rich.text import Text

__all__ = ["new_table"]


def new_table(*headers: str | Column, title: str | None = None, show_header: bool = True) -> Table:
    """A table whose columns fold what does not fit rather than truncate it.

    ``headers``: column headers (rich markup), or columns made by the caller (their overflow is set to
    fold too). ``title``: rich markup, as for ``rich.table.Table``.
    """
    columns = [Column(header) if isinstance(header, str) else header for header in headers]
    for column in columns:
        column.overflow = "fold"
        column.no_wrap = False
    min_width = Text.from_markup(title).cell_len if title else None
    return Table(*columns, title=title, show_header=show_header, min_width=min_width)

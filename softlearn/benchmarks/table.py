"""A table that Jupyter shows as Markdown and ``print`` (and nbval) as aligned text."""

from __future__ import annotations

from collections.abc import Sequence

from softlearn.reference import ROUNDING, ulps

__all__ = ["ROUNDING", "Table", "ulps"]


class Table:
    """Rows of already-formatted cells under a header.

    The plain-text form is what nbval compares, so a stored table is checked
    cell by cell; the Markdown form is what the book shows.

    Example:
        >>> t = Table(["x", "x squared"], [["2", "4"], ["10", "100"]])
        >>> print(t)
        x   x squared
        --  ---------
        2           4
        10        100
        >>> print(t._repr_markdown_())
        | x | x squared |
        |---|---:|
        | 2 | 4 |
        | 10 | 100 |
    """

    def __init__(self, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        if any(len(r) != len(columns) for r in rows):
            raise ValueError(f"every row needs {len(columns)} cells")
        self.columns = list(columns)
        self.rows = [list(r) for r in rows]

    def __str__(self) -> str:
        cells = [self.columns, *self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.columns))]

        def line(row: Sequence[str]) -> str:
            # The first column is a label (left-aligned), the others are figures.
            parts = [row[0].ljust(widths[0])]
            parts += [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
            return "  ".join(parts).rstrip()

        rule = "  ".join("-" * w for w in widths)
        return "\n".join([line(self.columns), rule, *(line(r) for r in self.rows)])

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        head = "| " + " | ".join(self.columns) + " |"
        align = "|---|" + "---:|" * (len(self.columns) - 1)
        return "\n".join([head, align, *("| " + " | ".join(r) + " |" for r in self.rows)])

"""A table that Jupyter shows as Markdown and ``print`` (and nbval) as aligned text."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["Table"]


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

    ``align`` gives each column's alignment, ``"l"`` or ``"r"``; by default
    the first column is a label (left) and the others are figures (right):

        >>> print(Table(["claim", "verdict"], [["a", "holds"], ["bc", "no"]], align="ll"))
        claim  verdict
        -----  -------
        a      holds
        bc     no
        >>> Table(["claim", "verdict"], [], align="lc")
        Traceback (most recent call last):
        ...
        ValueError: align needs one 'l' or 'r' per column; got 'lc'
    """

    def __init__(
        self, columns: Sequence[str], rows: Sequence[Sequence[str]], align: str | None = None
    ) -> None:
        if any(len(r) != len(columns) for r in rows):
            raise ValueError(f"every row needs {len(columns)} cells")
        # By default the first column is a label (left) and the others figures (right).
        align = "l" + "r" * (len(columns) - 1) if align is None else align
        if len(align) != len(columns) or set(align) - {"l", "r"}:
            raise ValueError(f"align needs one 'l' or 'r' per column; got {align!r}")
        self.columns = list(columns)
        self.rows = [list(r) for r in rows]
        self.align = align

    def __str__(self) -> str:
        cells = [self.columns, *self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.columns))]

        def line(row: Sequence[str]) -> str:
            parts = [
                c.ljust(w) if a == "l" else c.rjust(w)
                for c, w, a in zip(row, widths, self.align, strict=True)
            ]
            return "  ".join(parts).rstrip()

        rule = "  ".join("-" * w for w in widths)
        return "\n".join([line(self.columns), rule, *(line(r) for r in self.rows)])

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        head = "| " + " | ".join(self.columns) + " |"
        align = "|" + "".join("---|" if a == "l" else "---:|" for a in self.align)
        return "\n".join([head, align, *("| " + " | ".join(r) + " |" for r in self.rows)])

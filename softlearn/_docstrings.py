"""Docstring text that several public docstrings share, written once.

As NumPy's ``ufunc_docstrings.py`` does with ``$PARAMS``, a docstring holds a
line ``$NAME`` where the text ``SNIPPETS["NAME"]`` goes, and :func:`fill`
puts it there when the module is imported, indented as the ``$NAME`` line is.
The rendered docstrings (``help()``, ``__doc__``, doctests) read as if the
text were written out in each one.
"""

from __future__ import annotations

import re
from typing import TypeVar

T = TypeVar("T")

SNIPPETS = {
    # softlearn.functions: NumPy's ufunc keywords.
    "OUT_WHERE": """\
out: an array of the result's shape and dtype to write the result
    into, as in NumPy's ufuncs; it is returned.
where: a boolean array-like; where False, ``out`` keeps its value
    (without ``out``, those elements are left uninitialised).""",
    "SHAPE": """\
Shape:
    Input: any shape.  Output: the same shape.""",
    # softlearn.torch: the modules' shapes, in torch.nn's words.
    "TORCH_SHAPE": """\
Shape:
    - Input: :math:`(*)`, any number of dimensions.
    - Output: :math:`(*)`, the same shape as the input.""",
    # softlearn.keras: the activations' argument and the layers' shapes.
    "KERAS_TENSOR": """\
Args:
    x: a floating-point tensor of any shape (or anything
        ``keras.ops.convert_to_tensor`` takes).

Returns:
    A tensor of the same shape and dtype.

Raises:
    TypeError: if ``x`` is not floating-point.""",
    "KERAS_SHAPE": """\
Shape:
    - Input: any shape.
    - Output: the same shape as the input.""",
}

_PLACEHOLDER = re.compile(r"^([ \t]*)\$([A-Z_]+)$", re.MULTILINE)


def _indented(match: re.Match[str]) -> str:
    indent, name = match.groups()
    return "\n".join(indent + line if line else line for line in SNIPPETS[name].splitlines())


def fill(obj: T) -> T:
    """``obj`` with each ``$NAME`` line of its docstring replaced by ``SNIPPETS[NAME]``."""
    if obj.__doc__:  # None under ``python -OO``
        obj.__doc__ = _PLACEHOLDER.sub(_indented, obj.__doc__)
    return obj

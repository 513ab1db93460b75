"""Plain-text output shared by the CLI, studies and verification: a text table, number
formatting and the one numpy-to-JSON converter."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["format_table", "fmt_number", "fmt_short", "to_jsonable", "json_default"]


def format_table(headers: list[str], rows: list[list], align=None) -> str:
    """A plain text table: a header line, a rule, one line per row.

    ``align`` gives one of ``"<"`` / ``">"`` per column (default: first column left, the
    others right).
    """
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    align = align or ["<"] + [">"] * (len(headers) - 1)

    def line(r):
        return "  ".join(f"{c:{a}{wd}}" for c, a, wd in zip(r, align, widths)).rstrip()
    return "\n".join([line(headers), line(["-" * wd for wd in widths])] +
                     [line(r) for r in cells])


def fmt_number(x: float) -> str:
    """Six significant digits, as in run names (``0.05``, ``1e-05``, ``0.003125``)."""
    return format(float(x), ".6g")


def fmt_short(v) -> str:
    """Four significant digits, scientific notation outside [1e-3, 1e5)."""
    if isinstance(v, (float, np.floating)):
        return f"{v:.4g}" if (v == 0 or 1e-3 <= abs(v) < 1e5 or not math.isfinite(v)) \
            else f"{v:.3e}"
    return str(v)


def to_jsonable(o, nonfinite: str = "keep"):
    """``o`` with numpy arrays and scalars replaced by lists and Python numbers, tuples
    by lists and dict keys by strings (recursively), ready for ``json.dumps``.

    ``nonfinite="str"`` turns NaN and infinities into the strings ``"nan"``, ``"inf"``
    (strict JSON); ``"keep"`` leaves them as floats (Python's JSON extension).
    """
    if isinstance(o, dict):
        return {str(k): to_jsonable(v, nonfinite) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [to_jsonable(v, nonfinite) for v in o]
    if isinstance(o, np.ndarray):
        return to_jsonable(o.tolist(), nonfinite)
    if isinstance(o, (bool, np.bool_)):
        return bool(o)
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, (float, np.floating)):
        v = float(o)
        return str(v) if nonfinite == "str" and not math.isfinite(v) else v
    return o


def json_default(o):
    """``default=`` hook of ``json.dumps`` for numpy values and paths."""
    if isinstance(o, (np.ndarray, np.generic)):
        return to_jsonable(o)
    if hasattr(o, "__fspath__"):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")

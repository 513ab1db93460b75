"""Packing of the arrays of one ``pull``/``push`` call into one float64 message matrix.

Both backends mix all arrays of a call in one operation: arrays of shape (..., m, k)
(an optional leading batch axis of independent runs, the m hosted nodes, the per-node
payload) are laid side by side as the columns of one (m, W) matrix, W the sum over the
arrays of ``prod(batch) * k``, and split back after mixing.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["layout", "pack", "unpack"]


def layout(verb: str, arrays, m: int):
    """Shapes, packed widths and the per-run payload width of the arrays of one call.

    Raises ValueError unless every array has shape (..., m, k).
    """
    shapes = [np.shape(a) for a in arrays]
    for s in shapes:
        if len(s) < 2 or s[-2] != m:
            raise ValueError(f"net.{verb} expects arrays of shape (..., m, k) with m={m} "
                             f"hosted nodes, got shape {s}")
    widths = [math.prod(s[:-2]) * s[-1] for s in shapes]
    per_run = sum(int(s[-1]) for s in shapes)      # for the counters
    return shapes, widths, per_run


def pack(arrays, shapes, widths, out=None) -> np.ndarray:
    """The (m, W) float64 matrix holding ``arrays`` column-wise (written into ``out``
    when given). A single 2-d float64 array is returned as is when ``out`` is None."""
    m = shapes[0][-2]
    if out is None:
        if len(arrays) == 1 and len(shapes[0]) == 2:
            return np.asarray(arrays[0], dtype=np.float64)
        out = np.empty((m, sum(widths)))
    c = 0
    for a, s, w in zip(arrays, shapes, widths):
        if len(s) == 2:
            out[:, c:c + w] = a
        else:                           # (..., m, k) -> (m, ...*k)
            dst = out[:, c:c + w].view()
            dst.shape = (m,) + tuple(s[:-2]) + (s[-1],)
            np.copyto(dst, np.moveaxis(np.asarray(a), -2, 0))
        c += w
    return out


def unpack(Z: np.ndarray, shapes, widths):
    """The arrays packed in ``Z`` (views where possible): one array for one input, a
    tuple for several."""
    m = Z.shape[0]
    out, c = [], 0
    for s, w in zip(shapes, widths):
        part = Z[:, c:c + w]
        c += w
        if len(s) == 2:
            out.append(part if len(shapes) > 1 else Z)
        else:
            out.append(np.moveaxis(part.reshape((m,) + tuple(s[:-2]) + (s[-1],)), 0, -2))
    return out[0] if len(out) == 1 else tuple(out)

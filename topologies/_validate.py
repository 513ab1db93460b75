"""Small argument checks shared by the modules of :mod:`topologies`.

Every check raises ``TypeError`` (wrong kind of value) or ``ValueError`` (right kind, bad
value) with a message naming the argument, the value received and what was expected.
"""

from __future__ import annotations

import numbers
import operator

import numpy as np


def as_int(value, name: str, *, minimum: int | None = None) -> int:
    """``value`` as a Python int (bools and floats rejected), at least ``minimum``."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, got the bool {value!r}")
    try:
        out = operator.index(value)
    except TypeError:
        raise TypeError(
            f"{name} must be an integer, got {value!r} of type {type(value).__name__}"
        ) from None
    if minimum is not None and out < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {out}")
    return int(out)


def as_float(value, name: str, *, low: float | None = None, high: float | None = None,
             low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a finite float inside the given (closed unless ``*_open``) bounds."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number, got {value!r} of type {type(value).__name__}")
    out = float(value)
    if not np.isfinite(out):
        raise ValueError(f"{name} must be a finite number, got {out}")
    lo_bad = low is not None and (out <= low if low_open else out < low)
    hi_bad = high is not None and (out >= high if high_open else out > high)
    if lo_bad or hi_bad:
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        interval = f"{'(' if low_open or low is None else '['}{lo}, {hi}" \
                   f"{')' if high_open or high is None else ']'}"
        raise ValueError(f"{name} must be in {interval}, got {out:g}")
    return out


def rng_from(seed, name: str = "seed") -> np.random.Generator:
    """A numpy Generator from ``seed`` (None, int, SeedSequence or Generator)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, np.random.SeedSequence):
        return np.random.default_rng(seed)
    if isinstance(seed, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int, a numpy Generator or None, got {seed!r}")
    try:
        value = operator.index(seed)
    except TypeError:
        raise TypeError(
            f"{name} must be an int, a numpy Generator or None, got {seed!r} of type "
            f"{type(seed).__name__}") from None
    if value < 0:
        raise ValueError(f"{name} must be a non-negative int, got {value}")
    return np.random.default_rng(value)


def seed_is_reproducible(seed) -> bool:
    """True when ``seed`` names one stream (an int), so a spec string can record it."""
    if isinstance(seed, (bool, np.bool_)):
        return False
    try:
        operator.index(seed)
    except TypeError:
        return False
    return True

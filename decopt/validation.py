"""Argument checks shared by every layer (``decopt.run``, problems, studies, the CLI).

One rule everywhere: a value of the wrong type raises TypeError naming the value and
what was expected (``steps must be an integer >= 0, got '8' (str)``); a value of the right
type outside its range raises ValueError with the same wording. Booleans are not
numbers here, and floats are not integers (``16.0`` is a TypeError: TOML and the CLI
distinguish ``16`` from ``16.0``).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["INT64_MAX", "check_int", "check_number", "check_bool", "check_choice",
           "check_str", "show"]

#: Counters (steps, rounds, messages) are int64 in checkpoints and histories.
INT64_MAX = 2**63 - 1


def show(value) -> str:
    """``repr`` of a value with numpy scalars as plain Python numbers, plus its type."""
    if isinstance(value, np.generic):
        value = value.item()
    kind = {bool: "bool", int: "int", float: "float", str: "str", list: "list",
            dict: "dict"}.get(type(value), type(value).__name__)
    return f"{value!r} ({kind})"


def check_int(name: str, value, low: int | None = 0, high: int = INT64_MAX) -> int:
    """``value`` as a Python int in ``[low, high]``.

    Raises
    ------
    TypeError
        Unless ``value`` is an int or a numpy integer (bool is not).
    ValueError
        When it is out of range.
    """
    what = f"an integer >= {low}" if low is not None else "an integer"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {what}, got {show(value)}")
    v = int(value)
    if low is not None and v < low:
        raise ValueError(f"{name} must be {what}, got {v}")
    if v > high:
        raise ValueError(f"{name} must be an integer <= {high}, got {v}")
    return v


def check_number(name: str, value, low: float | None = None, strict: bool = False,
                 allow_inf: bool = False) -> float:
    """``value`` as a finite Python float, ``>= low`` (``> low`` when ``strict``).

    Raises
    ------
    TypeError
        Unless ``value`` is a real number (bool is not).
    ValueError
        When it is NaN, infinite (unless ``allow_inf``) or out of range.
    """
    rel = ">" if strict else ">="
    what = "a finite number" + (f" {rel} {low}" if low is not None else "")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {what}, got {show(value)}")
    v = float(value)
    if math.isnan(v) or (math.isinf(v) and not allow_inf):
        raise ValueError(f"{name} must be {what}, got {v!r}")
    if low is not None and (v < low or (strict and v == low)):
        raise ValueError(f"{name} must be {what}, got {v!r}")
    return v


def check_bool(name: str, value) -> bool:
    """``value`` if it is a bool, else TypeError."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be true or false, got {show(value)}")
    return bool(value)


def check_str(name: str, value) -> str:
    """``value`` if it is a str, else TypeError."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {show(value)}")
    return value


def check_choice(name: str, value, choices) -> str:
    """``value`` if it is one of ``choices`` (strings), else TypeError/ValueError with the
    valid choices and a close match."""
    check_str(name, value)
    if value not in choices:
        import difflib
        close = difflib.get_close_matches(value, list(choices), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got "
                         f"{value!r}{hint}")
    return value

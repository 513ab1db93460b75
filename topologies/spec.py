"""Topology specs: one string per graph, as the command line takes them.

Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only if
j -> i or j == i.

Grammar: ``family:value,value,...,name=value,...``. Bare values fill the parameters in
order (``"er:32,0.2"`` equals ``"er:32,p=0.2"``); grids also take ``RxC``
(``"grid:4x4"``). Names and values may not repeat. Random families default to ``seed=0``
so that a spec always names one graph. The families and their parameters are listed by
:func:`spec_help` (and in :data:`FAMILIES`); function names work as aliases
(``"exponential:16"``). ``"file:PATH"`` reads a topology from a file (an edge list
``j i`` per line, a scipy sparse ``.npz`` or a Matrix Market ``.mtx`` matrix; see
:func:`topologies.from_file`).
"""

from __future__ import annotations

import math
import re

from . import families as fam
from .files import from_file

__all__ = ["FAMILIES", "from_spec", "spec_help"]

_REQUIRED = object()

# name -> (function, [(parameter, type, default)], summary, example)
_TABLE = {
    "exp": (fam.exponential, [("n", int, _REQUIRED)],
            "static exponential graph, i -> i + 2^k mod n", "exp:16"),
    "onepeer": (fam.one_peer_exponential, [("n", int, _REQUIRED)],
                "one-peer exponential (time-varying: a list of ceil(log2 n) graphs)",
                "onepeer:16"),
    "ring": (fam.directed_ring, [("n", int, _REQUIRED)], "directed ring i -> i+1",
             "ring:8"),
    "uring": (fam.undirected_ring, [("n", int, _REQUIRED)], "undirected ring", "uring:8"),
    "chords": (fam.ring_with_chords, [("n", int, _REQUIRED)],
               "directed ring plus chords n//4 -> 0 and 3n//4 -> n//2", "chords:16"),
    "skewring": (fam.skewed_ring, [("n", int, _REQUIRED)],
                 "skewed ring of [LCLY25] (kappa = 2)", "skewring:16"),
    "skewchain": (fam.skewed_chain, [("n", int, _REQUIRED)],
                  "skewed chain of [LCLY25] (kappa = 2^(n-2), special row weights)",
                  "skewchain:10"),
    "grid": (fam.grid, [("rows", int, _REQUIRED), ("cols", int, _REQUIRED)],
             "undirected rows x cols grid", "grid:4x4"),
    "torus": (fam.torus, [("rows", int, _REQUIRED), ("cols", int, _REQUIRED)],
              "undirected rows x cols torus", "torus:4x4"),
    "star": (fam.star, [("n", int, _REQUIRED)], "undirected star centred on node 0",
             "star:16"),
    "complete": (fam.complete, [("n", int, _REQUIRED)], "complete digraph", "complete:8"),
    "er": (fam.erdos_renyi, [("n", int, _REQUIRED), ("p", float, _REQUIRED),
                             ("seed", int, 0)],
           "directed Erdos-Renyi, resampled until strongly connected", "er:32,p=0.2,seed=1"),
    "kout": (fam.random_k_out, [("n", int, _REQUIRED), ("k", int, _REQUIRED),
                                ("seed", int, 0)],
             "each node sends to k random others", "kout:16,k=2,seed=0"),
    "geo": (fam.random_geometric, [("n", int, _REQUIRED), ("radius", float, _REQUIRED),
                                   ("side", float, 10.0), ("seed", int, 0)],
            "random geometric graph in [0, side]^2 (undirected)", "geo:16,radius=5,seed=0"),
    "knn": (fam.nearest_neighbour, [("n", int, _REQUIRED), ("k", int, _REQUIRED),
                                    ("side", float, 10.0), ("seed", int, 0)],
            "each node sends to its k nearest points in [0, side]^2", "knn:16,k=3,seed=0"),
}

_ALIASES = {entry[0].__name__: name for name, entry in _TABLE.items()}


def _param_text(params) -> str:
    parts = []
    for pname, ptype, default in params:
        t = ptype.__name__
        parts.append(f"{pname}: {t}" if default is _REQUIRED else f"{pname}: {t} = {default!r}")
    return ", ".join(parts)


#: Spec name -> (function, parameter description), for listings (e.g. the CLI).
FAMILIES: dict = {name: (entry[0], _param_text(entry[1])) for name, entry in _TABLE.items()}


def spec_help() -> str:
    """Human-readable listing of the spec families, their parameters and an example.

    Returns
    -------
    str
    """
    lines = ["Topology specs: family:value,...,name=value (random families default to "
             "seed=0):"]
    width = max(len(e[3]) for e in _TABLE.values())
    for name, (func, params, summary, example) in _TABLE.items():
        lines.append(f"  {example:<{width}}  {name}({_param_text(params)}): {summary}")
    lines.append(f"  {'file:PATH':<{width}}  file(path): edge list 'j i' per line (edge "
                 f"j -> i), or a receiver-first .npz / .mtx matrix")
    return "\n".join(lines)


def _fail(spec: str, why: str):
    raise ValueError(f"bad topology spec {spec!r}: {why}\n{spec_help()}")


_INT = re.compile(r"[+-]?\d+")


def _convert(spec, family, pname, ptype, text):
    if ptype is int:
        if not _INT.fullmatch(text):
            _fail(spec, f"parameter {pname!r} of {family!r} must be an int, got {text!r}")
        return int(text)
    try:
        value = float(text)
    except ValueError:
        _fail(spec, f"parameter {pname!r} of {family!r} must be a number, got {text!r}")
    if not math.isfinite(value):
        _fail(spec, f"parameter {pname!r} of {family!r} must be finite, got {text!r}")
    return value


def from_spec(spec: str):
    """Build a topology from its string form, e.g. ``"exp:16"`` or ``"er:32,p=0.2,seed=1"``.

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    Parameters
    ----------
    spec : str
        ``family:value,...,name=value``; see :func:`spec_help` for the families. Or
        ``file:PATH``: everything after ``file:`` is the path (relative to the current
        directory), read by :func:`topologies.from_file`.

    Returns
    -------
    networkx.DiGraph, or list of networkx.DiGraph for "onepeer"
        ``G.graph["spec"]`` holds the canonical spec (size positional, every other
        parameter named, random families with their seed); "onepeer" graphs carry none.

    Raises
    ------
    TypeError
        If ``spec`` is not a string.
    ValueError
        For an unknown family, an unknown, repeated, missing or malformed parameter, or a
        value the family rejects; the message lists the families and their parameters.
    """
    if isinstance(spec, str) and spec.strip()[:5].lower() == "file:":
        path = spec.strip()[5:].strip()
        if not path:
            _fail(spec, "file: needs a path, e.g. 'file:graph.edges'")
        try:
            return from_file(path)
        except ValueError as e:
            raise ValueError(f"bad topology spec {spec!r}: {e}") from None
    name, values = _parse(spec)
    func = _TABLE[name][0]
    try:
        G = func(**values)
    except (ValueError, TypeError) as e:
        raise ValueError(f"bad topology spec {spec!r}: {e}") from None
    return G


def _parse(spec: str):
    """(family name, parameter values) of a spec string, validated."""
    if not isinstance(spec, str):
        raise TypeError(f"spec must be a string such as 'exp:16', got {type(spec).__name__}")
    text = spec.strip()
    name, _, body = text.partition(":")
    name = name.strip().lower()
    name = _ALIASES.get(name, name)
    if name not in _TABLE:
        _fail(spec, f"unknown family {name!r}")
    func, params, _, _ = _TABLE[name]
    tokens = [t.strip() for t in body.split(",")] if body.strip() else []
    values: dict = {}
    positional = 0
    for tok in tokens:
        if not tok:
            _fail(spec, "empty parameter (two commas in a row or a trailing comma?)")
        if "=" in tok:
            key, _, val = tok.partition("=")
            key, val = key.strip().lower(), val.strip()
            known = [p[0] for p in params]
            if key not in known:
                _fail(spec, f"unknown parameter {key!r} for family {name!r} "
                            f"(expected {', '.join(known)})")
            if key in values:
                _fail(spec, f"parameter {key!r} given twice")
            ptype = next(p[1] for p in params if p[0] == key)
            values[key] = _convert(spec, name, key, ptype, val)
            continue
        if positional == 0 and [p[0] for p in params[:2]] == ["rows", "cols"] and \
                re.fullmatch(r"\s*\S+\s*[xX]\s*\S+\s*", tok):
            r, c = re.split(r"[xX]", tok, maxsplit=1)
            values["rows"] = _convert(spec, name, "rows", int, r.strip())
            values["cols"] = _convert(spec, name, "cols", int, c.strip())
            positional = 2
            continue
        if positional >= len(params):
            _fail(spec, f"too many values for family {name!r} (expected "
                        f"{_param_text(params)})")
        pname, ptype, _ = params[positional]
        if pname in values:
            _fail(spec, f"parameter {pname!r} given twice")
        values[pname] = _convert(spec, name, pname, ptype, tok)
        positional += 1
    for pname, ptype, default in params:
        if pname not in values:
            if default is _REQUIRED:
                _fail(spec, f"missing parameter {pname!r} for family {name!r} (expected "
                            f"{_param_text(params)})")
            values[pname] = default
    return name, values

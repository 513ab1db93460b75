"""Studies: a grid of runs declared in TOML, run into a results directory.

A study is ``problem x topology x algorithm x step size x rounds x seed``, declared in
``experiments/<name>.toml`` and run with ``decopt run experiments/<name>.toml``. Every list
expands to a grid axis. Runs get parametrised names in the style of benchopt,

    push_pull[alpha=0.05]--exp[n=16]--seed=3
    pull_diag_gt[alpha=0.003125,R=5]--skewring[n=16]--seeds=0,1,2   (batched seeds)

and each one is written to ``<out>/<study>/<run name>/`` (``history.csv``, ``final.npz``,
``run.json``; see :class:`decopt.Result`), with ``<out>/<study>/summary.csv`` holding one
row per run and seed.

Schema
------
::

    [study]
    name = "demo"                # default: the file name without .toml
    description = "..."          # free text
    steps = 2000                 # iterations per run (required); with budget = "rounds",
                                 # communication rounds per run
    log_every = 20               # default: steps // 100 (at least 1)
    metric = "grad_norm"         # reported in tables and plots: grad_norm, grad_norm_pi,
                                 # consensus, loss, dist, err_max
    seeds = [0, 1, 2]            # an int or a list (default [0])
    batch_seeds = false          # true: all seeds in one decopt.run call (one sparse
                                 # product per mixing for all of them)
    noise = 0.0                  # sigma of additive gradient noise
    batch_size = 200             # minibatch per node (problems with samples only)
    budget = "iterations"        # or "rounds": steps, log_every and checkpoint_every
                                 # count communication rounds; a run whose iteration
                                 # costs c rounds (c = R x the algorithm's mixing calls
                                 # per iteration) does steps // c iterations, so every
                                 # run has the same communication
    checkpoint_every = 500       # default: steps // 10
    divergence = 1e8             # see decopt.run

    [problem]
    name = "logistic"            # a name of decopt.problems.PROBLEMS (required)
    seed = 0                     # data seed: an int, or "{seed}" for the run's seed
    dim = 10                     # ... any other keyword of the problem's constructor
                                 # except n, which comes from the topology axis;
    samples_per_node = "204800/n"  # "NUMBER/n" and "NUMBER*n" are resolved per n

    [topology]
    spec = ["exp:{n}", "skewring:{n}", "grid:{rows}x{cols}", "er:{n},p=0.33,seed={seed}"]
    n = [8, 16]                  # fills {n}; {rows}x{cols} is the squarest factorisation
                                 # of n, {seed} the run's seed
    weights = "uniform"          # or "random" (the papers' random integer weights)
    weight_seed = 0

    [[algorithm]]                # one table per algorithm (at least one)
    name = "pull_diag_gt"        # a name of decopt.ALGORITHMS (or mg_<name>)
    step_size = ["0.05/n", 0.01] # numbers, or "NUMBER/n" / "NUMBER*n" (n = nodes)
    rounds = [1, 5]              # multi-step gossip rounds R (default 1)
    options = { }                # algorithm options, e.g. { form = "cta" }
    label = "pull_diag_gt"       # display name (default: name)

    [quick]                      # overrides for --quick (small enough for CI): tables
    study = { steps = 200 }      # are merged key by key, [[algorithm]] lists replaced
    topology = { n = [8] }

    [[group]]                    # optional sub-grids sharing the study's defaults:
    name = "mlp"                 # prefix of the group's run names
    problem = { name = "mlp" }   # study/problem/topology/algorithm/quick as above;
                                 # [study] keys merge, the others replace

Seeds are an axis of their own: a run's graph and data depend on the problem's and the
topology's parameters and on the seed only, never on the algorithm, so for a given seed
every algorithm sees the same graph and the same data. With ``batch_seeds = true`` the
data and graph cannot depend on ``{seed}``.

Parsing uses the standard library's ``tomllib`` and nothing is evaluated: step sizes
follow the tiny grammar ``NUMBER``, ``NUMBER/n`` or ``NUMBER*n``. Every mistake raises a
ValueError or TypeError naming the file and the key (with a "did you mean" suggestion for
misspelt keys and names) before anything is written.
"""

from __future__ import annotations

import csv
import difflib
import inspect
import io
import json
import math
import os
import re
import shutil
import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import algorithms as algs
from . import problems as probs
from .result import Result, atomic_write

METRICS = ("grad_norm", "grad_norm_pi", "consensus", "loss", "dist", "err_max")

TOP_KEYS = ("study", "problem", "topology", "algorithm", "quick", "group")
STUDY_KEYS = ("name", "description", "steps", "log_every", "metric", "seeds", "batch_seeds",
              "noise", "batch_size", "budget", "checkpoint_every", "divergence")
TOPOLOGY_KEYS = ("spec", "n", "weights", "weight_seed")
ALGORITHM_KEYS = ("name", "step_size", "rounds", "options", "label")
QUICK_KEYS = ("study", "problem", "topology", "algorithm")
GROUP_KEYS = ("name", "study", "problem", "topology", "algorithm", "quick")
BUDGETS = ("iterations", "rounds")
PLACEHOLDERS = ("n", "seed", "rows", "cols")

_INT64_MAX = 2**63 - 1
_NAME_OK = re.compile(r"^[A-Za-z0-9_.+=-]+$")
_STEP_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(?:([/*])\s*n\s*)?$")


# ============================================================================ helpers
def parse_step_size(value, n: int | None = None, where: str = "step_size") -> float:
    """A step size from a number or the strings ``"NUMBER"``, ``"NUMBER/n"``, ``"NUMBER*n"``.

    Parameters
    ----------
    value : int, float or str
    n : int or None
        Number of nodes; needed for the ``/n`` and ``*n`` forms (None only checks the
        syntax and returns the NUMBER).
    where : str
        Prefix of error messages.

    Examples
    --------
    >>> parse_step_size("0.05/n", 16)
    0.003125
    >>> parse_step_size(0.1)
    0.1
    """
    if isinstance(value, bool):
        raise TypeError(f"{where} must be a number or a string like '0.05/n', got {value!r}")
    if isinstance(value, (int, float)):
        a = float(value)
    elif isinstance(value, str):
        m = _STEP_RE.match(value)
        if not m:
            raise ValueError(f"{where} = {value!r} is not a step size; expected a number, "
                             f"'NUMBER/n' or 'NUMBER*n' (e.g. '0.05/n')")
        a = float(m.group(1))
        if m.group(2) and n is not None:
            a = a / n if m.group(2) == "/" else a * n
    else:
        raise TypeError(f"{where} must be a number or a string like '0.05/n', got "
                        f"{type(value).__name__} {value!r}")
    if not (math.isfinite(a) and a > 0):
        raise ValueError(f"{where} must be a finite number > 0, got {value!r}")
    return a


def _per_node(value, n: int, where: str):
    """A problem parameter: ``"NUMBER/n"`` or ``"NUMBER*n"`` is resolved with the run's n
    (an int when the result is integral, e.g. ``samples_per_node = "204800/n"``); any other
    value is returned as is."""
    if not isinstance(value, str) or value == "{seed}":
        return value
    m = _STEP_RE.match(value)
    if not m or not m.group(2):
        return value
    a = float(m.group(1))
    v = a / n if m.group(2) == "/" else a * n
    if float(v).is_integer() and "." not in m.group(1) and "e" not in m.group(1).lower():
        return int(v)
    if "." not in m.group(1) and "e" not in m.group(1).lower():
        raise ValueError(f"{where} = {value!r} gives {v:g} for n = {n}, not an integer")
    return v


def _suggest(word, options) -> str:
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else f"; valid: {', '.join(options)}"


def _fmt_num(x: float) -> str:
    return format(float(x), ".6g")


def grid_shape(n: int) -> tuple[int, int]:
    """The squarest factorisation rows x cols = n with rows <= cols."""
    rows = max(d for d in range(1, int(math.isqrt(n)) + 1) if n % d == 0)
    return rows, n // rows


def topology_label(spec: str) -> str:
    """``"exp:16"`` -> ``"exp[n=16]"``; ``"er:16,p=0.3,seed=1"`` -> ``"er[n=16,p=0.3,seed=1]"``."""
    family, _, args = spec.partition(":")
    parts = [a.strip() for a in args.split(",") if a.strip()] if args else []
    if parts and "=" not in parts[0] and parts[0].isdigit():
        parts[0] = f"n={parts[0]}"
    return f"{family}[{','.join(parts)}]" if parts else family


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.,=+\-\[\]]", "_", name)


# ============================================================================ runs
@dataclass
class RunSpec:
    """One run of a study (one directory of results).

    ``seeds`` has one element, or several when seeds are batched.
    """

    name: str
    group: str | None
    algorithm: str
    label: str
    options: dict
    step_size: float
    step_size_expr: str
    rounds: int
    problem: str
    problem_params: dict
    topology: str
    topology_template: str
    n: int
    seeds: list
    batched: bool
    steps: int
    log_every: int
    noise: float
    batch_size: int | None
    weights: str
    weight_seed: int
    divergence: float
    checkpoint_every: int
    metric: str

    def config(self) -> dict:
        """Everything that determines the numbers (compared to skip finished runs)."""
        return json.loads(json.dumps({
            "algorithm": self.algorithm, "options": self.options,
            "step_size": self.step_size, "rounds": self.rounds, "problem": self.problem,
            "problem_params": self.problem_params, "topology": self.topology, "n": self.n,
            "seeds": self.seeds, "batched": self.batched, "steps": self.steps,
            "log_every": self.log_every, "noise": self.noise, "batch_size": self.batch_size,
            "weights": self.weights, "weight_seed": self.weight_seed,
            "divergence": self.divergence}))

    def run_kwargs(self) -> dict:
        """Keyword arguments of :func:`decopt.run` (besides problem and topology)."""
        return dict(steps=self.steps, step_size=self.step_size,
                    seed=list(self.seeds) if self.batched else self.seeds[0],
                    noise=self.noise, batch_size=self.batch_size, rounds=self.rounds,
                    log_every=self.log_every, weights=self.weights,
                    weight_seed=self.weight_seed, options=dict(self.options) or None,
                    divergence=self.divergence)


def run_name(label, step_size, rounds, options, topology, seeds, batched, prefix=None):
    """``push_pull[alpha=0.05]--exp[n=16]--seed=3`` (benchopt style)."""
    params = [f"alpha={_fmt_num(step_size)}"]
    if rounds > 1:
        params.append(f"R={rounds}")
    params += [f"{k}={v}" for k, v in sorted(options.items())]
    seed_part = (f"seeds={','.join(map(str, seeds))}" if batched else f"seed={seeds[0]}")
    parts = ([prefix] if prefix else []) + [f"{label}[{','.join(params)}]",
                                            topology_label(topology), seed_part]
    return _safe("--".join(parts))


@dataclass
class Study:
    """A parsed study: its name, source file and the expanded runs."""

    name: str
    path: Path | None
    description: str
    metric: str
    runs: list[RunSpec]
    quick: bool = False
    steps: int = 0
    checkpoint_every: int = 0
    budget: str = "iterations"

    @property
    def dir_name(self) -> str:
        return self.name + ("_quick" if self.quick else "")


# ============================================================================ parsing
class _Checker:
    """Validation with messages that name the file and the key."""

    def __init__(self, source: str):
        self.source = source

    def err(self, where, msg, kind=ValueError):
        loc = f"{self.source}: " + (f"{where} " if where else "")
        return kind(loc + msg)

    def table(self, obj, where, what="a table"):
        if not isinstance(obj, dict):
            raise self.err(where, f"must be {what}, got {_tname(obj)} {obj!r}", TypeError)
        return obj

    def keys(self, table, allowed, where):
        for k in table:
            if k not in allowed:
                raise self.err("", f"unknown key {k!r} in {where}{_suggest(k, allowed)}")

    def required(self, table, key, where):
        if key not in table:
            raise self.err("", f"missing required key {key!r} in {where}")
        return table[key]

    def int(self, value, where, low=0):
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.err(where, f"must be an integer >= {low}, got {_tname(value)} "
                                  f"{value!r}", TypeError)
        if value < low:
            raise self.err(where, f"must be an integer >= {low}, got {value}")
        if value > _INT64_MAX:   # counters are int64; fail here, before anything is written
            raise self.err(where, f"must be an integer <= {_INT64_MAX}, got {value}")
        return value

    def number(self, value, where, low=0.0, strict=False):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.err(where, f"must be a number, got {_tname(value)} {value!r}",
                           TypeError)
        if not math.isfinite(value) or value < low or (strict and value == low):
            rel = ">" if strict else ">="
            raise self.err(where, f"must be a finite number {rel} {low}, got {value!r}")
        return float(value)

    def bool(self, value, where):
        if not isinstance(value, bool):
            raise self.err(where, f"must be true or false, got {_tname(value)} {value!r}",
                           TypeError)
        return value

    def str(self, value, where, choices=None):
        if not isinstance(value, str):
            raise self.err(where, f"must be a string, got {_tname(value)} {value!r}",
                           TypeError)
        if choices is not None and value not in choices:
            raise self.err(where, f"= {value!r} is not valid{_suggest(value, choices)}")
        return value

    def list_of(self, value, where, item, allow_scalar=True):
        if isinstance(value, list):
            if not value:
                raise self.err(where, "must not be an empty list")
            return [item(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if not allow_scalar:
            raise self.err(where, f"must be a list, got {_tname(value)} {value!r}",
                           TypeError)
        return [item(value, where)]


def _tname(v) -> str:
    return {bool: "boolean", int: "integer", float: "float", str: "string", list: "array",
            dict: "table"}.get(type(v), type(v).__name__)


def _merge(base: dict, over: dict, merge_keys=("study", "problem", "topology")) -> dict:
    """``base`` with ``over`` applied: the tables in ``merge_keys`` merge key by key, every
    other key is replaced."""
    out = dict(base)
    for k, v in over.items():
        if k in merge_keys and isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = {**out[k], **v}
        else:
            out[k] = v
    return out


def load_study(path, quick: bool = False) -> Study:
    """Read and validate a study file; returns the expanded :class:`Study`.

    Raises ValueError/TypeError (naming the file and the key) on any mistake.
    """
    path = Path(path)
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise ValueError(f"study file {str(path)!r} does not exist") from None
    except OSError as e:
        raise ValueError(f"cannot read study file {str(path)!r}: {e.strerror}") from None
    try:
        doc = tomllib.loads(text.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a UTF-8 text file") from None
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{path}: invalid TOML: {e}") from None
    return parse_study(doc, source=str(path), quick=quick, default_name=path.stem,
                       path=path)


def parse_study(doc: dict, source: str = "<study>", quick: bool = False,
                default_name: str = "study", path=None) -> Study:
    """Validate and expand a study given as a dict (the parsed TOML)."""
    ck = _Checker(source)
    ck.table(doc, "")
    ck.keys(doc, TOP_KEYS, "the top level")
    base = dict(doc)
    quick_tab = base.pop("quick", None)
    groups = base.pop("group", None)
    if quick_tab is not None:
        ck.table(quick_tab, "[quick]")
        ck.keys(quick_tab, QUICK_KEYS, "[quick]")
        if quick:
            base = _merge(base, quick_tab)
    study_tab = ck.table(ck.required(base, "study", "the top level"), "[study]")
    ck.keys(study_tab, STUDY_KEYS, "[study]")
    name = study_tab.get("name", default_name)
    ck.str(name, "[study] name")
    if not _NAME_OK.match(name):
        raise ck.err("[study] name", f"= {name!r} must contain only letters, digits and "
                                     f"_ . + = -")
    description = ck.str(study_tab.get("description", ""), "[study] description")

    if groups is None:
        parts = [(None, base, "")]
    else:
        groups = ck.list_of(groups, "[[group]]", lambda v, w: ck.table(v, w),
                            allow_scalar=False)
        parts = []
        for i, g in enumerate(groups, 1):
            gw = f"[[group]] #{i}"
            ck.keys(g, GROUP_KEYS, gw)
            gname = g.get("name")
            if gname is not None:
                ck.str(gname, f"{gw} name")
                if not _NAME_OK.match(gname):
                    raise ck.err(f"{gw} name", f"= {gname!r} must contain only letters, "
                                               f"digits and _ . + = -")
                gw = f"[[group]] {gname!r}"
            g = dict(g)
            gq = g.pop("quick", None)
            g.pop("name", None)
            if gq is not None:
                ck.table(gq, f"{gw} quick")
                ck.keys(gq, QUICK_KEYS, f"{gw} quick")
                if quick:
                    g = _merge(g, gq)
            for k in ("study",):
                if k in g:
                    ck.table(g[k], f"{gw} {k}")
                    for bad in ("name", "description"):
                        if bad in g[k]:
                            raise ck.err("", f"{gw} study cannot set {bad!r} (it belongs "
                                             f"to the top-level [study])")
            parts.append((gname, _merge(base, g), gw + " "))

    runs: list[RunSpec] = []
    metrics = set()
    first = None
    for gname, eff, prefix in parts:
        rs, metric, info = _expand(ck, eff, gname, prefix)
        runs += rs
        metrics.add(metric)
        first = first or info
    if len(metrics) > 1:
        raise ck.err("", f"the groups report different metrics {sorted(metrics)}; use one "
                         f"[study] metric")
    seen = {}
    for r in runs:
        if r.name in seen:
            raise ck.err("", f"two runs would both be named {r.name!r}; give the groups "
                             f"distinct names ([[group]] name = ...) or remove the duplicate")
        seen[r.name] = r
    return Study(name=name, path=Path(path) if path else None, description=description,
                 metric=metrics.pop(), runs=runs, quick=quick, steps=first[0],
                 checkpoint_every=first[1], budget=first[2])


def _expand(ck: _Checker, eff: dict, gname, gw: str):
    """Runs of one (group of a) study."""
    st = ck.table(ck.required(eff, "study", f"{gw}the top level"), f"{gw}[study]")
    ck.keys(st, STUDY_KEYS, f"{gw}[study]")
    w = f"{gw}[study]"
    steps = ck.int(ck.required(st, "steps", w), f"{w} steps", 1)
    log_every = ck.int(st.get("log_every", max(1, steps // 100)), f"{w} log_every", 1)
    metric = ck.str(st.get("metric", "grad_norm"), f"{w} metric", METRICS)
    seeds = ck.list_of(st.get("seeds", [0]), f"{w} seeds", lambda v, ww: ck.int(v, ww, 0))
    if len(set(seeds)) != len(seeds):
        raise ck.err(f"{w} seeds", f"has repeated seeds: {seeds}")
    batched = ck.bool(st.get("batch_seeds", False), f"{w} batch_seeds")
    noise = ck.number(st.get("noise", 0.0), f"{w} noise")
    batch_size = st.get("batch_size")
    if batch_size is not None:
        batch_size = ck.int(batch_size, f"{w} batch_size", 1)
    budget = ck.str(st.get("budget", "iterations"), f"{w} budget", BUDGETS)
    ckpt = ck.int(st.get("checkpoint_every", max(1, steps // 10)), f"{w} checkpoint_every",
                  1)
    divergence = ck.number(st.get("divergence", 1e8), f"{w} divergence", 0.0, strict=True)

    # ----------------------------------------------------------------- problem
    pt = ck.table(ck.required(eff, "problem", f"{gw}the top level"), f"{gw}[problem]")
    w = f"{gw}[problem]"
    pname = ck.str(ck.required(pt, "name", w), f"{w} name")
    if pname not in probs.PROBLEMS:
        raise ck.err(f"{w} name", f"= {pname!r}: unknown problem"
                                  f"{_suggest(pname, sorted(probs.PROBLEMS))}")
    factory = probs.PROBLEMS[pname]
    valid = [p for p in inspect.signature(factory).parameters if p != "n"]
    pparams = {k: v for k, v in pt.items() if k != "name"}
    if "n" in pparams:
        raise ck.err("", f"{w} cannot set 'n': the number of nodes comes from the topology "
                         f"axis ([topology] n)")
    ck.keys(pparams, ["name"] + valid, w)
    data_seed = pparams.get("seed", 0)
    seed_dependent = data_seed == "{seed}"
    if not seed_dependent:
        ck.int(data_seed, f"{w} seed", 0)

    # ---------------------------------------------------------------- topology
    tt = ck.table(ck.required(eff, "topology", f"{gw}the top level"), f"{gw}[topology]")
    w = f"{gw}[topology]"
    ck.keys(tt, TOPOLOGY_KEYS, w)
    specs = ck.list_of(ck.required(tt, "spec", w), f"{w} spec",
                       lambda v, ww: ck.str(v, ww))
    ns = tt.get("n")
    ns = None if ns is None else ck.list_of(ns, f"{w} n", lambda v, ww: ck.int(v, ww, 1))
    weights = ck.str(tt.get("weights", "uniform"), f"{w} weights", ("uniform", "random"))
    weight_seed = ck.int(tt.get("weight_seed", 0), f"{w} weight_seed", 0)
    for s in specs:
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(s) if f}
        except ValueError as e:   # e.g. "Single '{' encountered in format string"
            raise ck.err(f"{w} spec", f"{s!r} is not a valid template: {e}; placeholders "
                                      f"look like {{n}}") from None
        bad = fields - set(PLACEHOLDERS)
        if bad:
            b = sorted(bad)[0]
            raise ck.err(f"{w} spec", f"{s!r} uses an unknown placeholder {{{b}}}"
                                      f"{_suggest(b, PLACEHOLDERS)}")
        if fields & {"n", "rows", "cols"} and ns is None:
            raise ck.err("", f"{w} spec {s!r} uses {{n}}; give the node counts as "
                             f"[topology] n = [...]")
        if "seed" in fields:
            seed_dependent = True
    if batched and seed_dependent:
        raise ck.err("", f"{gw}[study] batch_seeds = true runs all seeds on one graph and "
                         f"one data set, but the problem or topology depends on {{seed}}")

    # -------------------------------------------------------------- algorithms
    alist = ck.list_of(ck.required(eff, "algorithm", f"{gw}the top level"),
                       f"{gw}[[algorithm]]", lambda v, ww: ck.table(v, ww),
                       allow_scalar=False)
    names = list(algs.ALGORITHMS) + list(algs.MG_ALIASES)
    adecl = []
    for i, a in enumerate(alist, 1):
        w = f"{gw}[[algorithm]] #{i}"
        ck.keys(a, ALGORITHM_KEYS, w)
        aname = ck.str(ck.required(a, "name", w), f"{w} name")
        if aname not in names:
            raise ck.err(f"{w} name", f"= {aname!r}: unknown algorithm"
                                      f"{_suggest(aname, list(algs.ALGORITHMS))}")
        w = f"{gw}[[algorithm]] {aname!r}"
        steps_sz = ck.list_of(ck.required(a, "step_size", w), f"{w} step_size",
                              lambda v, ww: (v, parse_step_size(v, None, f"{ck.source}: "
                                                                          f"{ww}")))
        rounds = ck.list_of(a.get("rounds", 1), f"{w} rounds", lambda v, ww: ck.int(v, ww, 1))
        options = ck.table(a.get("options", {}), f"{w} options")
        try:
            algs.make(aname, 1.0, **options)
        except (ValueError, TypeError) as e:
            raise ck.err(f"{w} options", str(e)) from None
        if aname.startswith("mg_") and min(rounds) < 2:
            raise ck.err(f"{w} rounds", f"{aname} is multi-step gossip: give rounds >= 2")
        label = ck.str(a.get("label", aname), f"{w} label")
        if not _NAME_OK.match(label):
            raise ck.err(f"{w} label", f"= {label!r} must contain only letters, digits and "
                                       f"_ . + = -")
        adecl.append((aname, label, [s for s, _ in steps_sz], rounds, options))

    # ------------------------------------------------------------------ expand
    import topologies as tp
    runs = []
    seed_groups = [seeds] if batched else [[s] for s in seeds]
    cache_n: dict = {}
    for template in specs:
        for n in (ns if any(f in template for f in ("{n}", "{rows}", "{cols}")) else [None]):
            for sg in seed_groups:
                fill = {"seed": sg[0]}
                if n is not None:
                    fill["n"] = n
                    fill["rows"], fill["cols"] = grid_shape(n)
                spec = template.format(**fill)
                if spec not in cache_n:
                    try:
                        G = tp.from_spec(spec)
                    except (ValueError, TypeError) as e:
                        raise ck.err(f"{gw}[topology] spec", str(e)) from None
                    Gs = G if isinstance(G, list) else [G]
                    cache_n[spec] = Gs[0].number_of_nodes()
                nn = cache_n[spec]
                params = {k: _per_node(v, nn, f"{ck.source}: {gw}[problem] {k}")
                          for k, v in pparams.items()}
                params["n"] = nn
                params["seed"] = sg[0] if data_seed == "{seed}" else data_seed
                for aname, label, sizes, rounds_l, options in adecl:
                    for sz in sizes:
                        alpha = parse_step_size(sz, nn)
                        for R in rounds_l:
                            # rounds one iteration costs, under a round budget
                            c = R * algs.ALGORITHMS[algs.MG_ALIASES.get(aname, aname)].mixings \
                                if budget == "rounds" else 1
                            it = steps // c
                            if it < 1:
                                raise ck.err("", f"{gw}[study] steps = {steps} with budget "
                                                 f"'rounds' leaves no iteration for "
                                                 f"{aname} with R = {R} ({c} rounds per "
                                                 f"iteration)")
                            le, ce = max(1, log_every // c), max(1, ckpt // c)
                            name = run_name(label, alpha, R, options, spec, sg, batched,
                                            prefix=gname)
                            runs.append(RunSpec(
                                name=name, group=gname, algorithm=aname, label=label,
                                options=dict(options), step_size=alpha,
                                step_size_expr=str(sz), rounds=R, problem=pname,
                                problem_params=params, topology=spec,
                                topology_template=template, n=nn, seeds=list(sg),
                                batched=batched, steps=it, log_every=le, noise=noise,
                                batch_size=batch_size, weights=weights,
                                weight_seed=weight_seed, divergence=divergence,
                                checkpoint_every=ce, metric=metric))
    return runs, metric, (steps, ckpt, budget)


def check_runs(study: Study) -> None:
    """Build every distinct problem once and resolve every (topology, algorithm) pair, so
    that bad parameter values fail before anything runs or is written."""
    from .mixing import resolve
    src = str(study.path) if study.path else "<study>"
    built, resolved = {}, set()
    for r in study.runs:
        key = json.dumps([r.problem, r.problem_params], sort_keys=True)
        if key not in built:   # keep two flags only: problems can be large
            try:
                p = probs.make(r.problem, **r.problem_params)
            except (ValueError, TypeError) as e:
                raise ValueError(f"{src}: [problem] {r.problem}: {e}") from None
            built[key] = (p.x_star is None, p.samples_per_node is None)
            del p
        no_x_star, no_samples = built[key]
        if r.metric in ("dist", "err_max") and no_x_star:
            raise ValueError(f"{src}: [study] metric = {r.metric!r} needs a known minimiser, "
                             f"but problem {r.problem!r} has none; use 'grad_norm'")
        if r.batch_size is not None and no_samples:
            raise ValueError(f"{src}: [study] batch_size: problem {r.problem!r} has no "
                             f"samples to minibatch; use noise = sigma instead")
        alg = algs.make(r.algorithm, r.step_size, **r.options)
        rkey = (r.topology, alg.weights, r.weights, r.weight_seed)
        if rkey not in resolved:
            try:
                resolve(r.topology, alg.weights, weights=r.weights, weight_seed=r.weight_seed)
            except (ValueError, TypeError) as e:
                raise ValueError(f"{src}: run {r.name}: {e}") from None
            resolved.add(rkey)


# ============================================================================ metrics
_DESCRIBE_CACHE: dict = {}


def topology_metrics(topology, need: str, weights="uniform", weight_seed=0,
                     max_n: int = 2000) -> dict | None:
    """Effective metrics (pi_min, pi_max, kappa, beta, slem, mg_rounds) of the matrices a
    run mixes with, ``{"row": {...}, "column": {...}}`` for the sides used; None when
    n > ``max_n`` or the topology is time-varying."""
    import topologies as tp

    from .mixing import resolve
    if not isinstance(topology, str):
        return None
    key = (topology, need, weights, weight_seed)
    if key in _DESCRIBE_CACHE:
        return _DESCRIBE_CACHE[key]
    mix = resolve(topology, need, weights=weights, weight_seed=weight_seed)
    out = None
    if mix.n <= max_n and not mix.time_varying:
        out = {}
        for side, mats in (("row", mix.row), ("column", mix.col)):
            if mats is None:
                continue
            # horizon=1: theta (the costly part, ~3 s at n = 2000) is not stored
            d = tp.describe(mats[0], side=side, horizon=1)
            out[side] = {k: _plain(d[k]) for k in ("pi_min", "pi_max", "kappa", "beta",
                                                   "slem", "mg_rounds") if k in d}
    _DESCRIBE_CACHE[key] = out
    return out


def _plain(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    return v


# ============================================================================ running
class StudyInterrupted(KeyboardInterrupt):
    """Raised by :func:`run_study` when interrupted; carries what to tell the user."""

    def __init__(self, message, signum=None):
        super().__init__(message)
        self.message = message
        self.signum = signum


@dataclass
class StudyOutcome:
    """What :func:`run_study` did."""

    study_dir: Path
    results: dict = field(default_factory=dict)   # run name -> Result
    ran: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    summary: Path | None = None


def check_writable(directory: Path) -> None:
    """Create ``directory`` if needed and write and remove a probe file; ValueError if that
    fails."""
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / f".decopt-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise ValueError(f"output directory {str(directory)!r} is not writable: "
                         f"{e.strerror or e}") from None


def _read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def plan(study: Study, study_dir: Path, *, resume=False, overwrite=False):
    """Decide, per run, ``"skip"`` (finished with the same config), ``"resume"``, or
    ``"run"``; raises ValueError when existing results would be overwritten."""
    actions = {}
    for r in study.runs:
        d = study_dir / r.name
        done = _read_json(d / "run.json")
        cfg = r.config()
        if overwrite:
            actions[r.name] = "run"
            continue
        if done is not None:
            old = (done.get("meta") or {}).get("study", {}).get("config")
            if old == cfg:
                actions[r.name] = "skip"
                continue
            diff = _first_diff(old or {}, cfg)
            raise ValueError(f"{d} holds a finished run with a different configuration "
                             f"({diff}); use --overwrite to replace it or --out for another "
                             f"directory")
        ckpt = d / "checkpoint.npz"
        started = _read_json(d / "spec.json")
        if ckpt.exists() or started is not None:
            if started is not None and started != cfg:
                raise ValueError(f"{d} holds an interrupted run with a different "
                                 f"configuration ({_first_diff(started, cfg)}); use "
                                 f"--overwrite to start it again")
            if ckpt.exists() and not resume:
                raise ValueError(f"{d} holds an interrupted run; use --resume to continue "
                                 f"it or --overwrite to start it again")
            actions[r.name] = "resume" if ckpt.exists() else "run"
            continue
        actions[r.name] = "run"
    return actions


def _first_diff(old: dict, new: dict) -> str:
    for k in sorted(set(old) | set(new)):
        if old.get(k) != new.get(k):
            return f"{k}: {old.get(k)!r} there, {new.get(k)!r} here"
    return "same keys"


def _clear_run_dir(d: Path) -> None:
    """Remove a run directory, run.json first (so it never looks complete half-removed)."""
    if not d.exists():
        return
    rj = d / "run.json"
    if rj.exists():
        rj.unlink()
    shutil.rmtree(d)


def run_study(study: Study, out, *, resume=False, overwrite=False, backend="auto",
              progress=False, echo=print, comm=None) -> StudyOutcome:
    """Run the runs of ``study`` not yet finished into ``<out>/<study>/``.

    Parameters
    ----------
    study : Study
    out : path
        Results root; the study writes ``<out>/<study name>/`` (``<name>_quick`` for
        ``--quick``).
    resume : bool
        Continue interrupted runs from their checkpoints.
    overwrite : bool
        Run every run again, replacing existing results.
    backend : {"auto", "local", "mpi"}
    progress : bool
        tqdm bars for the study and each run (root process only).
    echo : callable
        Prints a line (None for silence); used on the root process only.
    comm : mpi4py communicator or None
        Under MPI every rank calls this function; only rank 0 writes and prints.

    Returns
    -------
    StudyOutcome

    Raises
    ------
    StudyInterrupted
        On KeyboardInterrupt (SIGINT, or SIGTERM through the CLI's handler): the current
        run's checkpoint is saved, finished runs and the summary are written.
    """
    import decopt

    rank = comm.Get_rank() if comm is not None else 0
    root = rank == 0
    say = (echo if (root and echo) else (lambda *a, **k: None))
    study_dir = Path(out) / study.dir_name
    check_runs(study)
    actions = None
    err = None
    if root:
        try:
            check_writable(study_dir)
            actions = plan(study, study_dir, resume=resume, overwrite=overwrite)
        except ValueError as e:
            err = str(e)
    if comm is not None:
        err, actions = comm.bcast((err, actions), root=0)
    if err is not None:
        raise ValueError(err)

    outcome = StudyOutcome(study_dir=study_dir)
    todo = [r for r in study.runs if actions[r.name] != "skip"]
    n_skip = len(study.runs) - len(todo)
    say(f"study {study.name}{' (quick)' if study.quick else ''}: {len(study.runs)} run(s)"
        f"{f' ({n_skip} already done)' if n_skip else ''} -> {study_dir}")
    for r in study.runs:
        if actions[r.name] == "skip" and root:
            outcome.results[r.name] = Result.load(study_dir / r.name)
            outcome.skipped.append(r.name)

    bar = None
    if progress and root and todo:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(todo), desc=study.name, unit="run", dynamic_ncols=True)
        write = tqdm.write
    else:
        write = say
    problems_cache: dict = {}
    current = None
    try:
        for r in todo:
            current = r
            d = study_dir / r.name
            if root:
                if actions[r.name] == "run" and d.exists():
                    _clear_run_dir(d)
                d.mkdir(parents=True, exist_ok=True)
                atomic_write(d / "spec.json", (json.dumps(r.config(), indent=2) + "\n")
                             .encode())
            if comm is not None:
                comm.Barrier()
            key = json.dumps([r.problem, r.problem_params], sort_keys=True)
            if key not in problems_cache:
                problems_cache.clear()
                problems_cache[key] = probs.make(r.problem, **r.problem_params)
            prob = problems_cache[key]
            res = decopt.run(r.algorithm, prob, r.topology, backend=backend,
                             progress=bool(bar is not None), checkpoint=d / "checkpoint.npz",
                             checkpoint_every=r.checkpoint_every,
                             resume=actions[r.name] == "resume", comm=comm,
                             **r.run_kwargs())
            if root:
                alg = algs.make(r.algorithm, r.step_size, **r.options)
                extra = {"study": {"name": study.name, "quick": study.quick, "run": r.name,
                                   "label": r.label, "group": r.group,
                                   "step_size_expr": r.step_size_expr,
                                   "config": r.config()},
                         "backend": res.config.get("backend"),
                         "topology_metrics": topology_metrics(
                             r.topology, alg.weights, r.weights, r.weight_seed)}
                res.save(d, extra_meta=extra)
                for f in ("checkpoint.npz", "spec.json"):
                    if (d / f).exists():
                        (d / f).unlink()
                outcome.results[r.name] = res
                outcome.ran.append(r.name)
                metric = np.mean(np.asarray(res.history[study.metric])[-1]) \
                    if study.metric in res.history else float("nan")
                status = "ok" if res.success else "FAILED: " + res.message
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix_str(f"{study.metric}={metric:.3g}", refresh=False)
                if echo is not None:
                    write(f"  {r.name}: {study.metric}={metric:.3g} "
                          f"({res.wall_time:.1f}s) {status}")
            current = None
    except KeyboardInterrupt as e:
        if bar is not None:
            bar.close()
            bar = None
        where = (f"run {current.name} was interrupted; its checkpoint is "
                 f"{study_dir / current.name / 'checkpoint.npz'}; " if current else "")
        msg = (f"interrupted: {where}{len(outcome.ran)} run(s) finished in this session "
               f"and all finished runs are intact; continue with --resume")
        raise StudyInterrupted(msg, getattr(e, "signum", None)) from None
    finally:
        if bar is not None:
            bar.close()
        if root:
            outcome.failed = [k for k, v in outcome.results.items() if not v.success]
            if outcome.results:
                outcome.summary = write_summary(study, study_dir, outcome.results)
    return outcome


# ============================================================================ summary
SUMMARY_FIELDS = ["run", "group", "algorithm", "label", "problem", "topology", "n",
                  "step_size", "rounds", "steps", "seed", "success", "message"]


def summary_rows(study: Study, results: dict) -> tuple[list[str], list[dict]]:
    """One row per run and seed, in the study's order (finished runs only)."""
    rows = []
    metric_keys = []
    for r in study.runs:
        res = results.get(r.name)
        if res is None:
            continue
        h = res.history
        for k in METRICS:
            if k in h and k not in metric_keys:
                metric_keys.append(k)
        for si, s in enumerate(r.seeds):
            row = {"run": r.name, "group": r.group or "", "algorithm": r.algorithm,
                   "label": r.label, "problem": r.problem, "topology": r.topology,
                   "n": r.n, "step_size": r.step_size, "rounds": r.rounds, "steps": r.steps,
                   "seed": s, "success": res.success, "message": res.message}
            for k in METRICS:
                if k in h:
                    v = np.asarray(h[k][-1])
                    row[k] = float(v[si] if (r.batched and v.ndim) else v)
            row["comm_rounds"] = int(res.counters.get("rounds", 0))
            row["grad_evals"] = int(np.asarray(h["grad_evals"])[-1]) if "grad_evals" in h \
                else ""
            row["wall_time"] = res.wall_time
            rows.append(row)
    header = SUMMARY_FIELDS + metric_keys + ["comm_rounds", "grad_evals", "wall_time"]
    return header, rows


def write_summary(study: Study, study_dir: Path, results: dict) -> Path:
    """Write ``summary.csv`` atomically."""
    header, rows = summary_rows(study, results)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n", restval="")
    w.writeheader()
    for row in rows:
        w.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in row.items()})
    path = Path(study_dir) / "summary.csv"
    atomic_write(path, buf.getvalue().encode())
    return path


def table_rows(study: Study, results: dict):
    """Per run (seeds aggregated): label, topology, alpha, R, metric (mean over seeds),
    communication rounds, wall time, successes."""
    out = []
    for r in study.runs:
        res = results.get(r.name)
        if res is None:
            continue
        v = np.asarray(res.history.get(study.metric, [np.nan])[-1], dtype=float)
        out.append({"run": r, "result": res, "metric": float(np.mean(v)),
                    "rounds": int(res.counters.get("rounds", 0)), "time": res.wall_time,
                    "success": res.success})
    return out


def format_table(headers: list[str], rows: list[list], align=None) -> str:
    """A plain text table."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    align = align or ["<"] + [">"] * (len(headers) - 1)
    def line(r):
        return "  ".join(f"{c:{a}{wd}}" for c, a, wd in zip(r, align, widths)).rstrip()
    return "\n".join([line(headers), line(["-" * wd for wd in widths])] +
                     [line(r) for r in cells])


def study_table(study: Study, results: dict, seeds_merged: bool = True) -> str:
    """The table printed after a study: one line per run configuration (seeds merged)."""
    groups: dict = {}
    for item in table_rows(study, results):
        r = item["run"]
        key = (r.group, r.label, r.rounds, r.step_size, r.topology, r.problem)
        groups.setdefault(key, []).append(item)
    rows = []
    for (g, label, R, alpha, topo, prob), items in groups.items():
        ok = sum(len(i["run"].seeds) for i in items if i["success"])
        total = sum(len(i["run"].seeds) for i in items)
        vals = [i["metric"] for i in items if i["success"]]
        val = f"{np.mean(vals):.3e}" if vals else "diverged"
        rows.append([(f"{g}/" if g else "") + label, topology_label(topo), _fmt_num(alpha),
                     R, val, items[0]["rounds"], f"{sum(i['time'] for i in items):.1f}s",
                     f"{ok}/{total}"])
    headers = ["algorithm", "topology", "alpha", "R", f"final {study.metric}", "rounds",
               "time", "ok"]
    return format_table(headers, rows, align=["<", "<", ">", ">", ">", ">", ">", ">"])

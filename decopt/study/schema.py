"""Study schema: the keys of a study file, the run and study records, step-size grammar
and run names."""

from __future__ import annotations

import difflib
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any
from pathlib import Path

from ..formatting import fmt_number as _fmt_num
from ..options import CORE, OPTIONS, toml_keys
from ..validation import check_int, check_number

METRICS = ("grad_norm", "grad_norm_pi", "consensus", "loss", "dist", "err_max")

TOP_KEYS = ("study", "problem", "topology", "algorithm", "quick", "group")
# structural keys, then the run options of decopt.options that live in each table
STUDY_KEYS = ("name", "description", "metric", "seeds", "batch_seeds", "budget",
              "max_runs") + \
    toml_keys("study")
TOPOLOGY_KEYS = ("spec", "n") + toml_keys("topology")
ALGORITHM_KEYS = ("name", "step_size", "options", "label") + toml_keys("algorithm")
#: Run options of the table that the schema carries generically (RunSpec.extra).
EXTRA_OPTIONS = tuple(o for o in OPTIONS if o not in CORE)
QUICK_KEYS = ("study", "problem", "topology", "algorithm")
GROUP_KEYS = ("name", "study", "problem", "topology", "algorithm", "quick")
BUDGETS = ("iterations", "rounds")
PLACEHOLDERS = ("n", "seed", "rows", "cols")

_NAME_OK = re.compile(r"^(?!\.+$)[A-Za-z0-9_.+=-]+$")   # "." and ".." are not names
#: Longest directory name a run gets; longer run names are shortened (prefix + hash).
MAX_DIR_NAME = 120
#: A study with more runs than this asks for ``--yes`` (see :meth:`Study.run_limit`).
DEFAULT_MAX_RUNS = 1000
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


def _jsonable_option(v):
    """A run option's value as JSON (a cost profile or compressor by its description)."""
    as_dict = getattr(v, "as_dict", None)
    if callable(as_dict):
        return as_dict()
    if isinstance(v, (str, int, float, bool, list, dict)) or v is None:
        return v
    return str(v)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.,=+\-\[\]]", "_", name)


def dir_name_of(name: str) -> str:
    """The directory name of a run called ``name``: the name itself when it is short
    enough for every file system, else a prefix plus a hash of the full name (the full
    name stays in ``run.json`` and ``summary.csv``). Deterministic."""
    import hashlib
    if len(name.encode()) <= MAX_DIR_NAME and name.strip(".") and "/" not in name:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    prefix = name.encode()[:MAX_DIR_NAME - 18].decode("ascii", "ignore").replace("/", "_")
    return f"{prefix}--{digest}"


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
    #: Run options of :data:`decopt.options.RUN_OPTIONS` beyond the fixed fields above
    #: (features added as rows of the table), by name.
    extra: dict = field(default_factory=dict)
    #: The algorithm object built once from ``algorithm``, ``step_size`` and ``options``
    #: at expansion (None: built when the run is resolved).
    built: Any = field(default=None, compare=False, repr=False)
    #: The graph built once from the ``topology`` spec at expansion (None: built when
    #: the run is resolved).
    graph: Any = field(default=None, compare=False, repr=False)

    @property
    def dir_name(self) -> str:
        """The run's directory name (see :func:`dir_name_of`)."""
        return dir_name_of(self.name)

    def config(self) -> dict:
        """Everything that determines the numbers (compared to skip finished runs).
        Extra options appear only when they differ from their defaults, so results
        written before an option existed stay valid."""
        extra = {k: _jsonable_option(v) for k, v in nondefault_options(self.extra).items()}
        return json.loads(json.dumps({**extra,
            "algorithm": self.algorithm, "options": self.options,
            "step_size": self.step_size, "rounds": self.rounds, "problem": self.problem,
            "problem_params": self.problem_params, "topology": self.topology, "n": self.n,
            "seeds": self.seeds, "batched": self.batched, "steps": self.steps,
            "log_every": self.log_every, "noise": self.noise, "batch_size": self.batch_size,
            "weights": self.weights, "weight_seed": self.weight_seed,
            "divergence": self.divergence}))

    def run_options(self) -> dict:
        """The run options (rows of :data:`decopt.options.RUN_OPTIONS`) of this run."""
        return dict(steps=self.steps, noise=self.noise, batch_size=self.batch_size,
                    rounds=self.rounds, log_every=self.log_every, weights=self.weights,
                    weight_seed=self.weight_seed, divergence=self.divergence,
                    checkpoint_every=self.checkpoint_every, **self.extra)

    def run_kwargs(self) -> dict:
        """Keyword arguments of :func:`decopt.run` (besides problem and topology)."""
        return dict(steps=self.steps, step_size=self.step_size,
                    seed=list(self.seeds) if self.batched else self.seeds[0],
                    noise=self.noise, batch_size=self.batch_size, rounds=self.rounds,
                    log_every=self.log_every, weights=self.weights,
                    weight_seed=self.weight_seed, options=dict(self.options) or None,
                    divergence=self.divergence, **self.extra)


def option_label(name, value) -> str:
    """How a run option's value appears in a run name: a spec string as written
    (``topk:0.1``), a number shortly, a cost profile by its name."""
    name_attr = getattr(value, "name", None)
    if isinstance(value, dict):
        return str(value.get("name", "custom"))
    if isinstance(name_attr, str) and not isinstance(value, str):
        return name_attr
    if isinstance(value, float):
        return _fmt_num(value)
    return str(value)


def nondefault_options(extra: dict) -> dict:
    """The run options of ``extra`` that differ from their defaults (what a run's name
    and config record)."""
    return {k: v for k, v in extra.items() if v != OPTIONS[k].default}


def run_name(label, step_size, rounds, options, topology, seeds, batched, prefix=None,
             extra=None):
    """``push_pull[alpha=0.05]--exp[n=16]--seed=3`` (benchopt style); the run options
    in ``extra`` (name -> value as written) are appended to the parameters, e.g.
    ``choco[alpha=0.05,compression=topk_0.1]`` (``:`` becomes ``_`` in directory
    names)."""
    params = [f"alpha={_fmt_num(step_size)}"]
    if rounds > 1:
        params.append(f"R={rounds}")
    params += [f"{k}={v}" for k, v in sorted(options.items())]
    params += [f"{k}={option_label(k, v)}" for k, v in sorted((extra or {}).items())]
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
    #: Runs above which ``decopt run`` asks for ``--yes`` (``[study] max_runs``; None:
    #: ``DECOPT_MAX_RUNS`` or :data:`DEFAULT_MAX_RUNS`).
    max_runs: int | None = None

    def run_limit(self) -> int:
        """The number of runs above which the study needs an explicit ``--yes``."""
        import os
        if self.max_runs is not None:
            return self.max_runs
        env = os.environ.get("DECOPT_MAX_RUNS", "")
        try:
            return int(env) if env.strip() else DEFAULT_MAX_RUNS
        except ValueError:
            raise ValueError(f"DECOPT_MAX_RUNS={env!r} must be an integer number of "
                             f"runs") from None

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
        return self._check(check_int, where, value, low)

    def number(self, value, where, low=0.0, strict=False):
        return self._check(check_number, where, value, low, strict=strict)

    def option(self, name, value, where):
        """A run option of the table :data:`decopt.options.OPTIONS`, checked by its row."""
        return self._check(lambda w, v: OPTIONS[name].validate(v, w), where, value)

    def _check(self, fn, where, value, *args, **kw):
        """``fn(name, value, ...)`` of :mod:`decopt.validation` with the file and key as
        the name (the same TypeError/ValueError wording as ``decopt.run``)."""
        try:
            return fn(f"{self.source}: {where}", value, *args, **kw)
        except TypeError as e:
            raise TypeError(str(e)) from None
        except ValueError as e:
            raise ValueError(str(e)) from None

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



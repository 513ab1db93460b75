"""Single runs through the study machinery: a run given by values (``decopt run
--algorithm ...``) or by a stored ``run.json`` (``decopt run --from``) becomes a one-run
:class:`~decopt.study.schema.RunSpec`, validated like a study file, and is executed and
saved by :func:`decopt.resolve.execute_run`."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from .. import algorithms as algs
from .. import problems as probs
from ..options import OPTIONS
from ..resolve import execute_run
from ..result import Result
from .execute import _clear_run_dir, check_runs, check_writable, resolve_spec, study_meta
from .locks import RunLock as _RunLock
from .parse import parse_study
from .schema import RunSpec, nondefault_options, run_name

__all__ = ["single_run_spec", "spec_from_run_json", "run_single", "compare_history"]


def single_run_spec(*, algorithm, topology, steps, step_size, problem=None,
                    problem_params=None, seeds=(0,), batched=False, n=None,
                    log_every=None, options=None, **run_options) -> RunSpec:
    """One run given by values, as a one-run study (validated like a study file).

    ``step_size`` is a number or ``"NUMBER/n"`` / ``"NUMBER*n"``; ``run_options`` are
    rows of :data:`decopt.options.RUN_OPTIONS` (None values are left at their defaults).
    """
    problem_tab = {"name": "logistic" if problem is None else problem,
                   **(problem_params or {})}
    topo = {"spec": topology}
    if n is not None:
        topo["n"] = [n]
    study = {"steps": steps, "seeds": list(seeds), "batch_seeds": batched,
             "log_every": max(1, steps // 100) if log_every is None else log_every}
    algo = {"name": algorithm, "step_size": step_size, "options": dict(options or {})}
    tables = {"study": study, "topology": topo, "algorithm": algo}
    for k, v in run_options.items():
        if v is not None:
            tables[OPTIONS[k].toml][k] = v
    doc = {"study": {"name": "run", **study}, "problem": problem_tab, "topology": topo,
           "algorithm": [algo]}
    s = parse_study(doc, source="decopt run")
    if len(s.runs) != 1:  # pragma: no cover - guarded by the parser
        raise ValueError("a single run expanded to several runs")
    r = s.runs[0]
    if n is not None and r.n != n:
        raise ValueError(f"--n {n} but topology {topology!r} has {r.n} nodes; write the "
                         f"spec with {{n}} (e.g. exp:{{n}}) or drop --n")
    check_runs(s)
    return r


def _nondefault_options(name: str, options: dict) -> dict:
    """The options of a run.json that differ from the algorithm's defaults."""
    try:
        cls, _ = algs.lookup(name)
    except ValueError:
        return dict(options)
    defaults = {f.name: f.default for f in dataclasses.fields(cls)}
    return {k: v for k, v in options.items() if defaults.get(k, object()) != v}


def spec_from_run_json(path) -> tuple[RunSpec, Result | None]:
    """The run stored in ``path`` (a run.json or its directory) and, when its history is
    there, the stored result to compare with."""
    path = Path(path)
    if path.is_dir():
        path = path / "run.json"
    try:
        doc = json.loads(path.read_text())
        cfg = doc["config"]
    except FileNotFoundError:
        raise ValueError(f"{path} does not exist") from None
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"{path} is not a decopt run.json (no 'config')") from None
    if not isinstance(cfg, dict):
        raise ValueError(f"{path} is not a decopt run.json ('config' is a "
                         f"{type(cfg).__name__}, expected a table)")
    missing = [k for k in ("algorithm", "step_size", "problem", "problem_params", "topology",
                           "seed", "steps", "rounds", "log_every", "noise", "batch_size")
               if k not in cfg]
    if missing:
        raise ValueError(f"{path} is not a complete decopt run.json (config lacks "
                         f"{', '.join(map(repr, missing))})")
    if not isinstance(cfg["problem_params"], dict):
        raise ValueError(f"{path}: config 'problem_params' must be a table, got "
                         f"{cfg['problem_params']!r}")
    if not isinstance(cfg.get("topology"), str):
        raise ValueError(f"{path}: the run's topology was not a spec string, so it cannot be "
                         f"rebuilt from the JSON")
    if cfg.get("x0") == "given":
        raise ValueError(f"{path}: the run started from a user-given x0, which run.json does "
                         f"not store")
    seeds = cfg["seed"]
    batched = isinstance(seeds, list)
    seeds = seeds if batched else [seeds]
    st_meta = (doc.get("meta") or {}).get("study") or {}
    label = st_meta.get("label") or cfg["algorithm"]
    options = _nondefault_options(cfg["algorithm"], cfg.get("options") or {})
    extra = {k: cfg[k] for k in OPTIONS if k in cfg and k not in (
        "steps", "log_every", "noise", "batch_size", "rounds", "weights", "weight_seed")}
    spec = RunSpec(
        name=st_meta.get("run") or run_name(label, cfg["step_size"], cfg["rounds"], options,
                                            cfg["topology"], seeds, batched,
                                            extra=nondefault_options(extra)),
        group=None, algorithm=cfg["algorithm"], label=label, options=cfg.get("options") or {},
        step_size=cfg["step_size"], step_size_expr=str(cfg["step_size"]),
        rounds=cfg["rounds"], problem=cfg["problem"], problem_params=cfg["problem_params"],
        topology=cfg["topology"], topology_template=cfg["topology"],
        n=int(cfg["problem_params"].get("n", 0)), seeds=seeds,
        batched=batched, steps=cfg["steps"], log_every=cfg["log_every"], noise=cfg["noise"],
        batch_size=cfg["batch_size"], weights=cfg.get("weights", "uniform"),
        weight_seed=cfg.get("weight_seed", 0),
        divergence=(st_meta.get("config") or {}).get("divergence", 1e8),
        checkpoint_every=max(1, cfg["steps"] // 10), metric="grad_norm", extra=extra)
    ref = None
    if (path.parent / "history.csv").exists():
        try:
            ref = Result.load(path.parent)
        except (ValueError, OSError):
            ref = None
    return spec, ref


def run_single(spec: RunSpec, out=None, *, overwrite=False, backend="auto", comm=None,
               progress=False, echo=None) -> tuple[Result, Path | None]:
    """Resolve, execute and (with ``out``, a results root) save one run into
    ``out/<run name>/``; returns the result and the directory (root process)."""
    root = comm is None or comm.Get_rank() == 0
    out_dir = None
    lock = None
    try:
        err = None
        if out is not None and root:
            out_dir = Path(out) / spec.dir_name
            try:
                check_writable(Path(out))
                # checked and cleared under the run directory's lock: a concurrent process
                # writing the same run never has its finished result removed
                lock = _RunLock(Path(out), spec.dir_name, echo)
                if (out_dir / "run.json").exists() and not overwrite:
                    raise ValueError(f"{out_dir} already holds a finished run; use "
                                     f"--overwrite to replace it")
                if out_dir.exists():
                    _clear_run_dir(out_dir)
            except ValueError as e:
                err = e
        if comm is not None and comm.Get_size() > 1:   # every rank stops, none waits
            msg = comm.bcast(None if err is None else str(err), root=0)
            if msg is not None and err is None:
                err = ValueError(msg)
        if err is not None:
            raise err
        resolved = resolve_spec(spec, probs.make(spec.problem, **spec.problem_params))
        if echo is not None and root:
            echo(f"{spec.name}: {spec.steps} iterations ...")
        res = execute_run(resolved, backend=backend, comm=comm, progress=progress,
                          out=out_dir, extra_meta=study_meta(spec))
    finally:
        if lock is not None:
            lock.release()
    return res, out_dir


def compare_history(ref: Result, res: Result) -> str:
    """One line: whether ``res`` reproduces the stored history ``ref``."""
    worst = 0.0
    for k, v in ref.history.items():
        if k == "time" or k not in res.history:
            continue
        a = np.asarray(v, dtype=float)
        b = np.asarray(res.history[k], dtype=float)
        if a.shape != b.shape:
            return f"reproduced: NO (history {k!r} has shape {b.shape}, stored {a.shape})"
        with np.errstate(all="ignore"):
            d = np.abs(a - b) / np.maximum(np.abs(a), 1e-300)
        d = np.where((a == b) | (np.isnan(a) & np.isnan(b)), 0.0, d)
        worst = max(worst, float(np.nanmax(d, initial=0.0)))
    return ("reproduced: identical history (time columns excepted)" if worst == 0 else
            f"reproduced: max relative difference {worst:.3g} from the stored history")

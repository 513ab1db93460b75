"""Running a study: checks before anything is written, the plan (skip, resume, run),
execution through :func:`decopt.resolve.execute_run`, interruption."""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import algorithms as algs
from .. import problems as probs
from ..backends.select import default_comm
from ..mixing import resolve
from ..resolve import ResolvedRun, execute_run, resolve_run
from ..result import Result, atomic_write
from .schema import RunSpec, Study
from .locks import RunLock as _RunLock
from .summary import write_summary

def _built(r: RunSpec):
    """The run's algorithm object (built at expansion; built here for a hand-made
    RunSpec, and kept)."""
    if r.built is None:
        r.built = algs.make(r.algorithm, r.step_size, **r.options)
    return r.built


def _mixing(r: RunSpec, cache: dict):
    """The run's Mixing, shared by the runs with the same topology, sides and weights."""
    alg = _built(r)
    key = (r.topology, alg.weights, r.weights, r.weight_seed)
    if key not in cache:
        topo = r.graph if r.graph is not None else r.topology
        mix = resolve(topo, alg.weights, weights=r.weights, weight_seed=r.weight_seed)
        mix.spec = r.topology
        cache[key] = mix
    return cache[key]


def check_runs(study: Study) -> dict:
    """Build every distinct problem once and resolve every (topology, algorithm) pair, so
    that bad parameter values fail before anything runs or is written.

    Returns
    -------
    dict
        The resolved mixings, for :func:`resolve_spec` (so that no run resolves its
        topology again).
    """
    src = str(study.path) if study.path else "<study>"
    built, mixings = {}, {}
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
        try:
            _mixing(r, mixings)
        except (ValueError, TypeError) as e:
            raise ValueError(f"{src}: run {r.name}: {e}") from None
    return mixings


def resolve_spec(r: RunSpec, problem=None, mixings: dict | None = None) -> ResolvedRun:
    """A study run resolved into objects: its algorithm (built at expansion), its mixing
    (from ``mixings`` of :func:`check_runs`, else resolved here once), its problem (given,
    or built from the spec)."""
    mix = _mixing(r, {} if mixings is None else mixings)
    if problem is None:
        problem = probs.make(r.problem, **r.problem_params)
    return resolve_run(_built(r), problem, mix, seed=list(r.seeds) if r.batched
                       else r.seeds[0], algorithm_name=r.algorithm,
                       topology_label=r.topology, problem_name=r.problem,
                       **r.run_options())


def study_meta(r: RunSpec, study: Study | None = None) -> dict:
    """The ``study`` entry of a run's ``run.json`` meta."""
    return {"study": {"name": study.name if study else None,
                      **({"quick": study.quick} if study else {}),
                      "run": r.name, "label": r.label, "group": r.group,
                      "step_size_expr": r.step_size_expr, "config": r.config()}}


def topology_metrics(topology, need: str, weights="uniform", weight_seed=0,
                     max_n: int = 2000) -> dict | None:
    """Effective metrics of the matrices a run mixes with (see
    :meth:`decopt.mixing.Mixing.metrics`); None for a topology that is not a spec
    string."""
    if not isinstance(topology, str):
        return None
    return resolve(topology, need, weights=weights, weight_seed=weight_seed).metrics(max_n)


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


def plan(study: Study, study_dir: Path, *, resume=False, overwrite=False, notes=None,
         loaded=None):
    """Decide, per run, ``"skip"`` (finished with the same config), ``"resume"``, or
    ``"run"``; raises ValueError when existing results would be overwritten.

    A corrupt run (unreadable ``run.json``, ``final.npz``, ``history.csv`` or checkpoint)
    is not done: its path and fault go to ``notes`` (a list) and it runs again. The
    results of skipped runs go to ``loaded`` (a dict), when given."""
    actions = {}
    for r in study.runs:
        actions[r.name], res = run_action(r, study_dir / r.dir_name, resume=resume,
                                          overwrite=overwrite, notes=notes)
        if res is not None and loaded is not None:
            loaded[r.name] = res
    return actions


def run_action(r: RunSpec, d: Path, *, resume=False, overwrite=False, notes=None):
    """``(action, result)`` for one run directory ``d`` (see :func:`plan`); the result
    is the loaded finished run when the action is ``"skip"``."""
    cfg = r.config()
    notes = [] if notes is None else notes
    if overwrite:
        return "run", None
    if (d / "run.json").exists():
        try:
            done = Result.load(d)
        except (ValueError, OSError) as e:
            notes.append(f"{d}: corrupt result, running it again ({e})")
            return "run", None
        old = (done.meta or {}).get("study", {}).get("config") \
            if isinstance(done.meta, dict) else None
        if old == cfg:
            return "skip", done
        diff = _first_diff(old if isinstance(old, dict) else {}, cfg)
        raise ValueError(f"{d} holds a finished run with a different configuration "
                         f"({diff}); use --overwrite to replace it or --out for another "
                         f"directory")
    ckpt = d / "checkpoint.npz"
    started = _read_json(d / "spec.json")
    if ckpt.exists() and resume and _read_npz_error(ckpt) is not None:
        notes.append(f"{ckpt}: corrupt checkpoint, running the run again "
                     f"({_read_npz_error(ckpt)})")
        return "run", None
    if (ckpt.exists() or started is not None) and _RunLock.busy(d):
        return "run", None     # being written by another process: decided under its lock
    if ckpt.exists() or started is not None:
        if started is not None and started != cfg:
            raise ValueError(f"{d} holds an interrupted run with a different "
                             f"configuration ({_first_diff(started, cfg)}); use "
                             f"--overwrite to start it again")
        if ckpt.exists() and not resume:
            raise ValueError(f"{d} holds an interrupted run; use --resume to continue "
                             f"it or --overwrite to start it again")
        return ("resume" if ckpt.exists() else "run"), None
    return "run", None


def _read_npz_error(path: Path) -> str | None:
    """None when ``path`` is a readable .npz file, else what is wrong with it."""
    try:
        with np.load(path) as z:
            for key in z.files:
                z[key]
    except Exception as e:   # BadZipFile, EOFError, OSError, ValueError, ...
        return f"{type(e).__name__}: {e}"
    return None


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


def _execute_one(r, d, act, study, comm, backend, bar, mixings, problems_cache):
    """Execute one run of a study into ``d`` (its lock held by the root process)."""
    if comm is not None:
        comm.Barrier()
    key = json.dumps([r.problem, r.problem_params], sort_keys=True)
    if key not in problems_cache:
        problems_cache.clear()
        problems_cache[key] = probs.make(r.problem, **r.problem_params)
    prob = problems_cache[key]
    res = execute_run(resolve_spec(r, prob, mixings), backend=backend, comm=comm,
                      progress=bool(bar is not None), checkpoint=d / "checkpoint.npz",
                      resume=act == "resume", out=d, extra_meta=study_meta(r, study))
    if comm is None or comm.Get_rank() == 0:
        for f in ("checkpoint.npz", "spec.json"):
            if (d / f).exists():
                (d / f).unlink()
    return res


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
        Under MPI every rank calls this function; only rank 0 writes and prints. Default:
        ``MPI.COMM_WORLD`` when launched by mpiexec with more than one process and the
        backend is not ``local`` (as ``decopt run`` does).

    Returns
    -------
    StudyOutcome

    Raises
    ------
    StudyInterrupted
        On KeyboardInterrupt (SIGINT, or SIGTERM through the CLI's handler): the current
        run's checkpoint is saved, finished runs and the summary are written.
    """
    if comm is None:
        comm = default_comm(backend)
    if comm is None or comm.Get_size() == 1:
        return _run_study(study, out, resume, overwrite, backend, progress, echo, comm, None)
    # Under MPI a signal is only a flag until every rank reaches the same point (a logged
    # step of a run, or between runs), so that all ranks stop together and none waits
    # in a collective that the others have left.
    from ..loop import _DeferredInterrupts
    with _DeferredInterrupts(second_raises=False) as intr:
        return _run_study(study, out, resume, overwrite, backend, progress, echo, comm, intr)


def _check_signal(comm, intr) -> None:
    """Collective: raise KeyboardInterrupt (with ``signum``) on every rank when any rank
    has received SIGINT/SIGTERM."""
    from mpi4py import MPI
    signum = comm.allreduce(int(intr.signum or 0), op=MPI.MAX)
    if signum:
        e = KeyboardInterrupt()
        e.signum = signum
        raise e


def _add_finished_elsewhere(study, study_dir, results) -> None:
    """Add to ``results`` the runs of ``study`` that another process (writing the same
    directory at the same time) has finished with the same config, so that the summary
    written last lists every finished run."""
    for r in study.runs:
        if r.name in results or not (study_dir / r.dir_name / "run.json").exists():
            continue
        try:
            act, res = run_action(r, study_dir / r.dir_name)
        except ValueError:
            continue
        if act == "skip":
            results[r.name] = res


def _check_same_study(comm, study) -> None:
    """Collective: every rank must have parsed the same study (the same runs and
    configs), else ValueError on every rank."""
    import hashlib
    key = json.dumps([study.dir_name] + [[r.name, r.config()] for r in study.runs],
                     sort_keys=True, default=str)
    digests = comm.allgather(hashlib.sha256(key.encode()).hexdigest())
    bad = [i for i, d in enumerate(digests) if d != digests[0]]
    if bad:
        raise ValueError(f"MPI ranks disagree on study {study.name!r}: rank(s) {bad} parsed "
                         f"other runs or configs than rank 0; every rank must read the same "
                         f"study file with the same options")


def _run_study(study, out, resume, overwrite, backend, progress, echo, comm, intr):
    rank = comm.Get_rank() if comm is not None else 0
    if comm is not None and comm.Get_size() > 1:
        _check_same_study(comm, study)
    root = rank == 0
    say = (echo if (root and echo) else (lambda *a, **k: None))
    study_dir = Path(out) / study.dir_name
    mixings = check_runs(study)
    actions = None
    err = None
    notes: list = []
    loaded: dict = {}
    if root:
        try:
            check_writable(study_dir)
            actions = plan(study, study_dir, resume=resume, overwrite=overwrite,
                           notes=notes, loaded=loaded)
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
    for line in notes:
        say("  " + line)
    for r in study.runs:
        if actions[r.name] == "skip" and root:
            outcome.results[r.name] = loaded[r.name]
            outcome.skipped.append(r.name)

    bar = None
    if progress and root and todo and sys.stderr.isatty():
        from tqdm.auto import tqdm
        bar = tqdm(total=len(todo), desc=study.name, unit="run", dynamic_ncols=True)
        write = tqdm.write
    else:
        write = say
    problems_cache: dict = {}
    current = None
    try:
        for r in todo:
            if intr is not None:
                _check_signal(comm, intr)
            current = r
            d = study_dir / r.dir_name
            lock, act, err, done = None, actions[r.name], None, None
            if root:
                # decided again under the run's lock: another process may have finished
                # (or started) this run since the plan was made
                lock = _RunLock(study_dir, r.dir_name, say)
                try:
                    act, done = run_action(r, d, resume=resume, overwrite=overwrite)
                    if act == "run" and d.exists():
                        _clear_run_dir(d)
                    if act != "skip":
                        d.mkdir(parents=True, exist_ok=True)
                        atomic_write(d / "spec.json",
                                     (json.dumps(r.config(), indent=2) + "\n").encode())
                except (ValueError, OSError) as e:
                    lock.release()
                    err = e
            if comm is not None:
                act, msg = comm.bcast((act, None if err is None else str(err)), root=0)
                if msg is not None and err is None:
                    err = ValueError(msg)
            if err is not None:
                raise err
            if act == "skip":     # finished meanwhile by another process, same config
                if root:
                    lock.release()
                    outcome.results[r.name] = done
                    outcome.skipped.append(r.name)
                    say(f"  {r.name}: finished meanwhile by another process; skipped")
                current = None
                continue
            try:
                res = _execute_one(r, d, act, study, comm, backend, bar, mixings,
                                   problems_cache)
            finally:
                if lock is not None:
                    lock.release()
            if root:
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
        if intr is not None:
            _check_signal(comm, intr)
    except KeyboardInterrupt as e:
        if bar is not None:
            bar.close()
            bar = None
        where = (f"run {current.name} was interrupted; its checkpoint is "
                 f"{study_dir / current.dir_name / 'checkpoint.npz'}; " if current else "")
        msg = (f"interrupted: {where}{len(outcome.ran)} run(s) finished in this session "
               f"and all finished runs are intact; continue with --resume")
        raise StudyInterrupted(msg, getattr(e, "signum", None)) from None
    finally:
        if bar is not None:
            bar.close()
        if root:
            _add_finished_elsewhere(study, study_dir, outcome.results)
            outcome.failed = [k for k, v in outcome.results.items() if not v.success]
            if outcome.results:
                outcome.summary = write_summary(study, study_dir, outcome.results)
    return outcome



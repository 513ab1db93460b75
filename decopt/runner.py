"""``decopt.run``: one algorithm, one problem, one topology, one or several seeds."""

from __future__ import annotations

import dataclasses
import math
import signal
import threading
import time
from pathlib import Path

import numpy as np

from . import algorithms as algs
from . import problems as probs
from .mixing import pi_weights, resolve
from .network import LocalNetwork
from .oracle import Oracle, as_seed
from .result import Result, atomic_write

BACKENDS = ("local", "mpi", "auto")


class Interrupted(KeyboardInterrupt):
    """A run stopped by SIGINT/SIGTERM (or a KeyboardInterrupt from a callback).

    Attributes
    ----------
    signum : int
        The signal (``signal.SIGINT`` or ``signal.SIGTERM``).
    step : int or None
        The last completed iteration, when the state there was saved.
    checkpoint : path or None
        Where that state was saved; ``resume=True`` continues from it.
    """

    def __init__(self, signum, step=None, checkpoint=None):
        self.signum, self.step, self.checkpoint = int(signum), step, checkpoint
        where = (f"; checkpoint of step {step} saved to {checkpoint} (resume to continue)"
                 if checkpoint is not None and step is not None else "")
        super().__init__(f"interrupted by {signal.Signals(self.signum).name}{where}")


class _DeferredInterrupts:
    """SIGINT/SIGTERM set a flag that the loop reads between iterations, so a checkpoint
    is always taken at a consistent point. A second signal interrupts at once. Only in
    the main thread (signal handlers cannot be installed elsewhere)."""

    def __enter__(self):
        self.signum = None
        self._prev = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                try:
                    self._prev[sig] = signal.signal(sig, self._handler)
                except (ValueError, OSError):  # pragma: no cover - exotic embedders
                    pass
        return self

    def _handler(self, signum, frame):
        if self.signum is not None:
            raise KeyboardInterrupt
        self.signum = signum

    def __exit__(self, *exc):
        for sig, prev in self._prev.items():
            signal.signal(sig, prev)
        return False


class IntermediateResult(dict):
    """What ``callback(intermediate_result)`` receives at each logged step.

    A dict of the metrics just logged (``step``, ``grad_norm``, ...) plus ``x``, the
    gathered iterates. Attribute access works too (``r.grad_norm``). Raising
    StopIteration in the callback stops the run (successfully).
    """

    __getattr__ = dict.__getitem__


#: Counters (steps, rounds, messages) are int64 in checkpoints and histories.
_INT_MAX = 2**63 - 1


def _check_int(name, value, low, high=_INT_MAX):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    if value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return int(value)


def _check_float(name, value, low=0.0, strict=False):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value < low or (strict and value == low):
        rel = ">" if strict else ">="
        raise ValueError(f"{name} must be a finite number {rel} {low}, got {value}")
    return value


def make_network(backend, mixing, rounds, comm=None):
    """The network for a backend ("local", "mpi", or "auto": mpi when launched by mpiexec
    with more than one process)."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "auto":
        backend = "mpi" if _mpi_world_size() > 1 else "local"
    if backend == "local":
        return LocalNetwork(row=mixing.row, col=mixing.col, rounds=rounds)
    from .backends.mpi import MPINetwork
    return MPINetwork(mixing.n, row=mixing.row, col=mixing.col, rounds=rounds, comm=comm)


def _mpi_world_size() -> int:
    import os
    for var in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"):
        if var in os.environ:
            try:
                return int(os.environ[var])
            except ValueError:
                pass
    return 1


def _initial_point(x0, problem, seeds, batched):
    n, d = problem.n, problem.dim
    S = len(seeds)
    if x0 is None:
        init = getattr(problem, "initial_point", None)
        rows = [np.broadcast_to(init(s) if init else np.zeros(d), (n, d)) for s in seeds]
        X = np.array(rows, dtype=float)
    else:
        try:                          # ragged nested lists, strings, objects, ...
            X = np.asarray(x0)
            complex_ = np.iscomplexobj(X)
            if not complex_:
                X = np.array(X, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"x0 must be an array of numbers, got {type(x0).__name__}") from None
        if complex_:
            raise TypeError(f"x0 must be real, got a complex array (dtype {X.dtype})")
        shapes = {(d,), (n, d), (S, n, d)} if batched else {(d,), (n, d)}
        if X.shape not in shapes:
            raise ValueError(f"x0 has shape {X.shape}, expected one of "
                             f"{sorted(shapes, key=len)} (n={n} nodes, d={d})")
        if not np.isfinite(X).all():
            raise ValueError("x0 contains NaN or inf")
        X = np.array(np.broadcast_to(X, (S, n, d)))
    return X if batched else X[0]


def run(algorithm, problem, topology, *, steps, step_size=None, seed=0, noise=0.0,
        batch_size=None, rounds=1, backend="local", log_every=10, x0=None, callback=None,
        weights="uniform", weight_seed=0, options=None, progress=False, checkpoint=None,
        checkpoint_every=None, resume=False, divergence=1e8, comm=None) -> Result:
    """Run a decentralised algorithm and record its history.

    Parameters
    ----------
    algorithm : str or Algorithm
        A name of ``decopt.algorithms.ALGORITHMS`` (``"push_pull"``, ``"pull_diag_gt"``,
        ..., or ``"mg_<name>"``) or an algorithm object.
    problem : Problem or str
        A ``decopt.problems`` problem, or a problem name (built with defaults and ``n``
        taken from the topology).
    topology : str, networkx.DiGraph, matrix, tuple (A, B), dict or list
        See :mod:`decopt.mixing`. Edge j -> i means j can send to i; matrices are
        receiver-first.
    steps : int
        Iterations. With ``rounds=R`` each iteration costs R gossip rounds per mixing
        call and R gradient samples per node.
    step_size : float
        alpha > 0 (ignored when ``algorithm`` is an object).
    seed : int, Generator, or list of those
        A list runs independent seeds batched along a leading axis (one sparse product
        per mixing for all of them). Node i's samples depend only on (seed, i, call).
    noise : float
        sigma of additive Gaussian gradient noise.
    batch_size : int or None
        Minibatch size per node (problems with samples only).
    rounds : int
        Multi-step gossip rounds R.
    backend : {"local", "mpi", "auto"}
    log_every : int
        Metrics are computed (and divergence is checked) every ``log_every`` steps and
        at the last step.
    x0 : array or None
        (d,), (n, d) or, batched, (runs, n, d); default ``problem.initial_point(seed)``
        (zeros for convex problems).
    callback : callable or None
        ``callback(intermediate_result)`` at each logged step; raise StopIteration to
        stop.
    weights : {"uniform", "random"}
        Weight rule for digraphs; ``weight_seed`` seeds the random one.
    options : dict or None
        Algorithm options (e.g. ``{"form": "cta"}`` for push_pull).
    progress : bool
        Show a tqdm progress bar (root process only).
    checkpoint : path or None
        Where to keep a checkpoint (``.npz``) every ``checkpoint_every`` steps; with
        ``resume=True`` an existing checkpoint is continued, giving the same numbers as
        an uninterrupted run.
    divergence : float
        The run stops with ``success=False`` when an iterate is non-finite or its norm
        exceeds ``divergence`` times the initial scale (> 0; ``math.inf`` keeps only the
        non-finite check).
    comm : mpi4py communicator or None
        For ``backend="mpi"`` (default COMM_WORLD).

    Returns
    -------
    Result
    """
    # ---------------------------------------------------------------- validate
    steps = _check_int("steps", steps, 0)
    log_every = _check_int("log_every", log_every, 1)
    rounds = _check_int("rounds", rounds, 1)
    noise = _check_float("noise", noise)
    if batch_size is not None:
        batch_size = _check_int("batch_size", batch_size, 1)
    batched = isinstance(seed, (list, tuple))
    seeds = [as_seed(s) for s in (seed if batched else [seed])]
    if batched and not seeds:
        raise ValueError("seed list is empty; give at least one seed")
    if options is not None and not isinstance(options, dict):
        raise TypeError(f"options must be a dict of algorithm options (or None), got "
                        f"{type(options).__name__} {options!r}")
    if isinstance(algorithm, str):
        if step_size is None:
            raise ValueError("step_size is required when the algorithm is given by name")
        _check_float("step_size", step_size, 0.0, strict=True)
        alg = algs.make(algorithm, float(step_size), **(options or {}))
        alg_name = algorithm
    elif isinstance(algorithm, algs.Algorithm):
        alg = algorithm
        alg_name = next((k for k, c in algs.ALGORITHMS.items() if type(alg) is c),
                        type(alg).__name__)
    else:
        raise TypeError(f"algorithm must be a name or an Algorithm, got {algorithm!r}")
    if alg_name.startswith("mg_") and rounds == 1:
        raise ValueError(f"{alg_name} is multi-step gossip: give rounds=R > 1")
    mixing = resolve(topology, alg.weights, weights=weights, weight_seed=weight_seed)
    if isinstance(problem, str):
        problem = probs.make(problem, n=mixing.n)
    elif not isinstance(problem, probs.Problem):
        raise TypeError(f"problem must be a decopt.problems problem or a problem name "
                        f"{sorted(probs.PROBLEMS)}, got {type(problem).__name__} {problem!r}")
    if problem.n != mixing.n:
        raise ValueError(f"the problem has n={problem.n} nodes but the topology has "
                         f"{mixing.n}; give both the same number of nodes")
    if batch_size is not None and problem.samples_per_node is None:
        raise ValueError(f"problem {problem.name!r} has no samples to minibatch; "
                         f"use noise=sigma for stochastic gradients")
    if checkpoint_every is not None:
        checkpoint_every = _check_int("checkpoint_every", checkpoint_every, 1)
    if isinstance(divergence, bool) or not isinstance(divergence, (int, float, np.integer,
                                                                   np.floating)):
        raise TypeError(f"divergence must be a number, got {divergence!r}")
    if not float(divergence) > 0:   # inf is allowed: it turns the check off (NaN is not)
        raise ValueError(f"divergence must be a number > 0 (inf turns the check off), got "
                         f"{divergence!r}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable (or None), got {callback!r}")
    if checkpoint is not None:
        checkpoint = _check_checkpoint_path(checkpoint)
    try:
        X0 = _initial_point(x0, problem, seeds, batched)
    except MemoryError as e:
        raise ValueError(f"not enough memory for the initial point of problem "
                         f"{problem.name!r} (n={problem.n}, dim={problem.dim}): {e}") from None

    net = make_network(backend, mixing, rounds, comm=comm)
    net.check_agree("problem", problem.checksum())
    oracle = Oracle(problem, net.nodes, seeds, noise=noise, batch_size=batch_size,
                    samples=rounds, batched=batched)
    pi = pi_weights(mixing) if net.is_root else None
    config = {
        "algorithm": alg_name, "options": {f.name: getattr(alg, f.name) for f in
                                           dataclasses.fields(alg) if f.name != "alpha"},
        "step_size": alg.alpha, "problem": problem.name, "problem_params": problem.params,
        "topology": topology if isinstance(topology, str) else mixing.description,
        "weights": weights, "weight_seed": weight_seed, "steps": steps,
        "seed": seeds if batched else seeds[0], "noise": noise, "batch_size": batch_size,
        "rounds": rounds, "backend": type(net).__name__, "log_every": log_every,
        "x0": "given" if x0 is not None else "default",
    }
    metrics = _Metrics(problem, pi, X0, divergence)
    try:
        return _loop(alg, oracle, net, X0, steps, log_every, callback, metrics, config,
                     progress, checkpoint, checkpoint_every, resume, batched)
    except (MemoryError, ValueError) as e:
        # numpy's answers to absurd sizes (e.g. batch_size=2**62); the same arrays are
        # allocated at every step, so this happens at the start
        if isinstance(e, ValueError) and not any(
                t in str(e) for t in ("Maximum allowed", "array is too big")):
            raise
        raise ValueError(
            f"not enough memory for this run (n={problem.n}, dim={problem.dim}, "
            f"{len(seeds)} seed(s), batch_size={batch_size}, rounds={rounds}): {e}") from None


def _check_checkpoint_path(checkpoint) -> Path:
    """The checkpoint path, checked before anything runs: a str or PathLike whose
    directory exists."""
    import os
    if not isinstance(checkpoint, (str, os.PathLike)):
        raise TypeError(f"checkpoint must be a path (str or os.PathLike) or None, got "
                        f"{type(checkpoint).__name__} {checkpoint!r}")
    path = Path(checkpoint)
    if not path.parent.is_dir():
        raise ValueError(f"checkpoint {str(path)!r}: directory {str(path.parent)!r} does not "
                         f"exist or is not a directory")
    if path.is_dir():
        raise ValueError(f"checkpoint {str(path)!r} is a directory, expected a file path")
    return path


class _Metrics:
    """Metrics of gathered iterates X (..., n, d), computed on the root process."""

    def __init__(self, problem, pi, X0, divergence):
        self.problem = problem
        self.pi = pi
        # pi == 1/n to rounding (e.g. the exponential graph): one centroid suffices
        self.pi_uniform = pi is not None and bool(
            np.abs(np.asarray(pi) * len(pi) - 1.0).max() <= 1e-12)
        scale = max(1.0, float(np.abs(X0).max(initial=0.0)))
        if problem.x_star is not None:
            scale = max(scale, float(np.abs(problem.x_star).max(initial=0.0)))
        self.limit = divergence * scale

    def __call__(self, X) -> dict:
        p = self.problem
        if not np.isfinite(X).all():  # diverged: report NaN rather than evaluate f
            keys = ["grad_norm", "consensus", "loss"] + (["grad_norm_pi"] if self.pi is not None
                                                          else [])
            keys += ["dist", "err_max"] if p.x_star is not None else []
            return {k: np.full(X.shape[:-2], np.nan) for k in keys}
        xbar = X.mean(axis=-2)
        # one pass over the data for f and grad f at the centroid(s) (issue 14); a
        # uniform Perron vector makes the pi-weighted centroid the centroid itself
        lead = xbar.shape[:-1]
        pts = [xbar.reshape(-1, p.dim)]
        if self.pi is not None and not self.pi_uniform:
            pts.append(np.einsum("i,...id->...d", self.pi, X).reshape(-1, p.dim))
        k = pts[0].shape[0]
        loss, g = p._loss_and_grads(np.concatenate(pts) if len(pts) > 1 else pts[0], k)
        g = np.linalg.norm(g, axis=-1)
        out = {"grad_norm": g[:k].reshape(lead)}
        if self.pi is not None:
            out["grad_norm_pi"] = (g[k:] if len(pts) > 1 else g[:k]).reshape(lead)
        out["consensus"] = np.mean(np.sum((X - xbar[..., None, :]) ** 2, axis=-1), axis=-1)
        out["loss"] = np.asarray(loss).reshape(lead)
        if not lead:
            out = {key: v[()] if isinstance(v, np.ndarray) and v.ndim == 0 else v
                   for key, v in out.items()}
        if p.x_star is not None:
            out["dist"] = np.linalg.norm(xbar - p.x_star, axis=-1)
            out["err_max"] = np.linalg.norm(X - p.x_star, axis=-1).max(axis=-1)
        return out

    def divergence(self, X):
        """(node, norm, seed index) of the worst node if the iterates diverged, else None."""
        norms = np.linalg.norm(X, axis=-1)                 # (..., n)
        bad = ~np.isfinite(norms) | (norms > self.limit)
        if not bad.any():
            return None
        flat = np.argwhere(bad)[0]
        node = int(flat[-1])
        seed_index = int(flat[0]) if X.ndim == 3 else None
        return node, float(norms[tuple(flat)]), seed_index


def _step_hint(alg, problem, rounds) -> str:
    """What the theory says about the step size that just diverged."""
    bound = alg.step_size_bound(problem.n, problem.L)
    if bound is None:
        return ""
    if alg.alpha > bound:
        return f"; the theory asks alpha <= 1/(2 n L) = {bound:.3g}"
    more = "" if alg.weights not in ("row", "column") else (
        f", or multi-step gossip (rounds > {rounds}), which tames the transient of "
        f"small-diagonal digraphs")
    return (f"; alpha is within the theory's bound 1/(2 n L) = {bound:.3g}, which holds "
            f"only past a transient that grows with kappa and 1/(1 - beta): use a smaller "
            f"step{more}")


def _gather_state(net, state):
    return {f: net.gather(getattr(state, f)) for f in state._fields}


def _local_rows(net, arr):
    arr = np.asarray(arr)
    return arr[..., net.nodes, :] if arr.shape[-2] == net.n else arr


def _loop(alg, oracle, net, X0, steps, log_every, callback, metrics, config, progress,
          checkpoint, checkpoint_every, resume, batched):
    root = net.is_root
    hist: dict[str, list] = {}
    k0, elapsed0 = 0, 0.0
    state = None
    # under MPI the root decides (ranks need not share the checkpoint's file system)
    if checkpoint is not None and resume and net.bcast(
            Path(checkpoint).exists() if root else None):
        state, k0, elapsed0, hist = _load_checkpoint(checkpoint, alg, oracle, net, X0)
    t0 = time.perf_counter() - elapsed0
    success, message = True, "finished"
    bar = None
    if progress and root:
        from tqdm.auto import tqdm
        bar = tqdm(total=steps, initial=k0, desc=config["algorithm"], leave=False,
                   dynamic_ncols=True)

    def log(k, state):
        """Record metrics at step k; returns a stop message or None (collective)."""
        X = net.gather(state.x)
        stop = None
        if root:
            m = metrics(X)
            c = net.counters
            row = {"step": k, **m, "rounds": c.rounds, "messages": c.messages,
                   "floats": c.floats, "grad_evals": oracle.calls * oracle.samples,
                   "time": time.perf_counter() - t0}
            for key, v in row.items():
                hist.setdefault(key, []).append(v)
            bad = metrics.divergence(X)
            if bad is not None:
                node, val, s = bad
                hint = _step_hint(alg, metrics.problem, config["rounds"])
                which = f" (seed {config['seed'][s]})" if s is not None else ""
                stop = ("diverged", f"iterates diverged at step {k}{which}: node {node} has "
                        f"||x_i|| = {val:.3g}; try a smaller step size (alpha = "
                        f"{alg.alpha:g}){hint}")
            elif callback is not None:
                try:
                    callback(IntermediateResult(row, x=X))
                except StopIteration:
                    stop = ("callback", f"stopped by the callback at step {k}")
            if bar is not None:
                bar.set_postfix_str(f"|grad f|={np.mean(m['grad_norm']):.3g}", refresh=False)
        return net.bcast(stop)

    multi = getattr(net, "size", 1) > 1
    consistent = False   # True between iterations: state, oracle and counters agree
    k = k0
    try:
        with _DeferredInterrupts() as intr, np.errstate(over="ignore", invalid="ignore",
                                                        divide="ignore", under="ignore"):
            if state is None:
                net.set_step(0)
                state = alg.init(_local_rows(net, X0), oracle, net)
                consistent = True
                stop = log(0, state)
            else:
                consistent = True
                stop = None
            while stop is None and k < steps:
                net.set_step(k)
                consistent = False
                state = alg.step(state, oracle, net)
                k += 1
                consistent = True
                if bar is not None:
                    bar.update(1)
                at_log = k % log_every == 0 or k == steps
                if at_log:
                    stop = log(k, state)
                if checkpoint is not None and checkpoint_every and k % checkpoint_every == 0 \
                        and k < steps and stop is None:
                    _save_checkpoint(checkpoint, net, state, oracle, k,
                                     time.perf_counter() - t0, hist)
                # A signal is acted on between iterations; under MPI only at logged steps,
                # where all ranks agree (a collective), so no rank is left waiting.
                if intr.signum is not None or (multi and at_log):
                    signum = intr.signum or 0
                    if multi:
                        signum = int(net.allreduce_max(signum))
                    if signum:
                        raise Interrupted(signum, k, checkpoint)
    except KeyboardInterrupt as exc:
        # Ctrl-C, SIGTERM, or a callback that raised KeyboardInterrupt: keep the current
        # iterate as a checkpoint when it is consistent, so resume=True continues with
        # the same numbers; otherwise the last periodic checkpoint stays.
        if bar is not None:
            bar.close()
        if checkpoint is not None and consistent and (not multi or isinstance(exc, Interrupted)):
            _save_checkpoint(checkpoint, net, state, oracle, k, time.perf_counter() - t0,
                             hist)
        if not isinstance(exc, Interrupted):
            raise Interrupted(signal.SIGINT, k if consistent else None,
                              checkpoint if consistent else None) from exc
        raise
    if bar is not None:
        bar.close()
    if stop is not None:
        success = stop[0] != "diverged"
        message = stop[1]
    X = net.gather(state.x)
    wall = time.perf_counter() - t0
    history = {key: np.array(v) for key, v in hist.items()} if root else {}
    if checkpoint is not None and root and Path(checkpoint).exists() and (
            success and stop is None):
        Path(checkpoint).unlink()
    return Result(x=X if root else None, history=history, counters=net.counters.as_dict(),
                  success=success, message=message, nit=k, wall_time=wall, config=config,
                  meta={"ranks": getattr(net, "size", 1)})


def _save_checkpoint(path, net, state, oracle, k, elapsed, hist):
    """Gathered state, oracle counter, counters and history so far (atomic)."""
    import io
    full = _gather_state(net, state)
    if not net.is_root:
        return
    arrays = {f"state_{f}": v for f, v in full.items()}
    arrays.update({f"hist_{key}": np.array(v) for key, v in hist.items()})
    c = net.counters
    arrays["meta"] = np.array([k, c.rounds, c.messages, c.floats], dtype=np.int64)
    arrays["oracle"] = np.array(oracle.get_state())
    arrays["elapsed"] = np.array(elapsed)
    bio = io.BytesIO()
    np.savez(bio, **arrays)
    atomic_write(path, bio.getvalue())


def _read_npz(path) -> dict:
    with np.load(path) as z:
        return {key: z[key] for key in z.files}


def _load_checkpoint(path, alg, oracle, net, X0):
    z = net.bcast(_read_npz(path) if net.is_root else None)  # MPI: only the root reads
    fields = {key[6:]: z[key] for key in z if key.startswith("state_")}
    hist = {key[5:]: list(z[key]) for key in z if key.startswith("hist_")}
    k, rounds, messages, floats = (int(v) for v in z["meta"])
    oracle_state = str(z["oracle"])
    elapsed = float(z["elapsed"])
    net.set_step(0)
    probe = alg.init(_local_rows(net, X0), _NullOracle(oracle), net)
    net.counters.rounds = net.counters.messages = net.counters.floats = 0
    if set(fields) != set(probe._fields):
        raise ValueError(f"checkpoint {path} holds state {sorted(fields)}, but "
                         f"{type(alg).__name__} has {sorted(probe._fields)}")
    state = type(probe)(**{f: np.array(_local_rows(net, fields[f])) for f in probe._fields})
    oracle.set_state(oracle_state)
    net.counters.rounds, net.counters.messages, net.counters.floats = rounds, messages, floats
    if not net.is_root:
        hist = {}
    return state, k, elapsed, hist


class _NullOracle:
    """Stands in for the oracle when only the shape of the initial state is needed."""

    def __init__(self, oracle):
        self._o = oracle

    def grad(self, X):
        return np.zeros_like(X)

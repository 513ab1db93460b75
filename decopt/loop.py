"""The iteration loop of a run: logging, divergence, callbacks, checkpoints, signals.

Called by :func:`decopt.resolve.execute_run` with objects only (a built algorithm, an
oracle, a network); nothing here parses a name or a spec.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np

from .result import Result, atomic_write

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
    is always taken at a consistent point. A second signal interrupts at once, unless
    ``second_raises`` is False (under MPI, where a rank that raises alone would leave the
    others waiting in a collective). Only in the main thread (signal handlers cannot be
    installed elsewhere).

    Nested use shares the outermost flag: a study run under MPI defers signals for the
    whole study (see :func:`decopt.study.run_study`), and each run's loop reads the same
    flag."""

    _outer = None

    def __init__(self, second_raises: bool = True):
        self.second_raises = second_raises

    def __enter__(self):
        self._signum = None
        self._prev = {}
        self._shared = _DeferredInterrupts._outer
        if self._shared is not None:
            return self
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                try:
                    self._prev[sig] = signal.signal(sig, self._handler)
                except (ValueError, OSError):  # pragma: no cover - exotic embedders
                    pass
            if self._prev:
                _DeferredInterrupts._outer = self
        return self

    @property
    def signum(self):
        return self._shared.signum if self._shared is not None else self._signum

    def _handler(self, signum, frame):
        if self._signum is not None and self.second_raises:
            raise KeyboardInterrupt
        if self._signum is None:
            self._signum = signum

    def __exit__(self, *exc):
        if _DeferredInterrupts._outer is self:
            _DeferredInterrupts._outer = None
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



def fairness_metrics(problem, xbar) -> dict:
    """The loss f(xbar) and the spread of the local losses f_i(xbar) over the nodes:
    ``loss_var`` (variance), ``loss_max`` and ``loss_worst10`` (mean of the
    ceil(n/10) largest), each of shape xbar.shape[:-1]."""
    n = problem.n
    ll = problem._local_losses(np.arange(n), problem._all_at(xbar))     # (..., n)
    k = max(1, -(-n // 10))
    worst = np.sort(ll, axis=-1)[..., n - k:]
    return {"loss": ll.mean(axis=-1), "loss_var": ll.var(axis=-1),
            "loss_max": ll.max(axis=-1), "loss_worst10": worst.mean(axis=-1)}


class _Metrics:
    """Metrics of gathered iterates X (..., n, d), computed on the root process."""

    def __init__(self, problem, pi, X0, divergence, fairness=False):
        self.problem = problem
        self.pi = pi
        #: the spread of the local losses (loss_var, loss_max, loss_worst10): one more
        #: pass over the data, so only where asked (federated methods)
        self.fairness = bool(fairness)
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
            keys += ["loss_var", "loss_max", "loss_worst10"] if self.fairness else []
            keys += ["dist", "err_max"] if p.x_star is not None else []
            return {k: np.full(X.shape[:-2], np.nan) for k in keys}
        xbar = X.mean(axis=-2)
        # one pass over the data for f and grad f at the centroid(s); a uniform Perron
        # vector makes the pi-weighted centroid the centroid itself
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
        if self.fairness:
            out.update(fairness_metrics(p, xbar))
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
        state, k0, elapsed0, hist = _load_checkpoint(checkpoint, alg, oracle, net, X0,
                                                     config)
    t0 = time.perf_counter() - elapsed0
    success, message = True, "finished"
    bar = None
    if progress and root and sys.stderr.isatty():   # bars only on a terminal
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
            row = {"step": k, **m, **c.as_dict(), **_sim_time(net, oracle, batched),
                   "grad_evals": oracle.calls * oracle.samples,
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
        with _DeferredInterrupts(second_raises=not multi) as intr, np.errstate(over="ignore", invalid="ignore",
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
                state = net.hold_sleeping(state, alg.step(state, oracle, net))
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
                                     time.perf_counter() - t0, hist, config)
                # A signal is acted on between iterations; under MPI only at logged steps,
                # where every rank takes part in the same collective (a rank that saw
                # the signal at another step waits for the next logged one), so every
                # rank stops at the same iteration and none is left waiting.
                if multi:
                    signum = int(net.allreduce_max(intr.signum or 0)) if at_log else 0
                else:
                    signum = intr.signum or 0
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
                             hist, config)
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


def _sim_time(net, oracle, batched) -> dict:
    """``{"sim_time": ...}`` when a SimClock observes the network (issue 17)."""
    for clock in _clocks(net):
        clock.charge(oracle.calls, oracle.samples)
        t = clock.time()
        return {"sim_time": t if batched else float(t[0])}
    return {}


def _clocks(net):
    from .costmodel import SimClock
    return [obs for obs in net.observers if isinstance(obs, SimClock)]


def config_key(config) -> str:
    """The run's config as canonical JSON, without what may change between a run and
    its resumption (the backend): checkpoints and MPI ranks compare it."""
    import json
    return json.dumps({k: v for k, v in config.items() if k != "backend"},
                      sort_keys=True, default=str)


def _save_checkpoint(path, net, state, oracle, k, elapsed, hist, config=None):
    """Gathered state, oracle counter, counters, history so far and the run's config
    (atomic)."""
    import io
    full = _gather_state(net, state)
    if not net.is_root:
        return
    arrays = {f"state_{f}": v for f, v in full.items()}
    arrays.update({f"hist_{key}": np.array(v) for key, v in hist.items()})
    c = net.counters
    counts = c.as_dict()
    arrays["meta"] = np.array([k] + list(counts.values()), dtype=np.int64)
    arrays["meta_names"] = np.array(["step"] + list(counts))
    for clock in _clocks(net)[:1]:    # the simulated clock continues on resume
        arrays["clock"] = np.concatenate([[clock.comm, clock.calls], clock.compute])
    arrays["oracle"] = np.array(oracle.get_state())
    arrays["elapsed"] = np.array(elapsed)
    if config is not None:
        arrays["config"] = np.array(config_key(config))
    bio = io.BytesIO()
    np.savez(bio, **arrays)
    atomic_write(path, bio.getvalue())


def _read_npz(path) -> dict:
    with np.load(path) as z:
        return {key: z[key] for key in z.files}


def _read_checked(path, config):
    """``(arrays, None)`` of a checkpoint made by the same run config, else
    ``(None, message)`` naming the file and the first key that differs."""
    import json
    try:
        z = _read_npz(path)
        for key in ("state_x", "meta", "oracle", "elapsed"):
            z[key]
    except Exception as e:   # BadZipFile, EOFError, KeyError, ValueError, OSError
        return None, (f"checkpoint {path} is corrupt or not a decopt checkpoint "
                      f"({type(e).__name__}: {e}); delete it or run without resume")
    if config is None:
        return z, None
    if "config" not in z:
        return None, (f"checkpoint {path} records no run configuration (made by an older "
                      f"decopt), so it cannot be checked against this run; delete it or "
                      f"run without resume")
    try:
        old = json.loads(str(z["config"]))
    except ValueError:
        old = None
    new = json.loads(config_key(config))
    if old != new:
        old = old if isinstance(old, dict) else {}
        key = next(k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k))
        return None, (f"checkpoint {path} was made by a different run: {key} = "
                      f"{old.get(key)!r} there, {new.get(key)!r} here; delete it or run "
                      f"without resume")
    return z, None


def _load_checkpoint(path, alg, oracle, net, X0, config=None):
    z, err = net.bcast(_read_checked(path, config) if net.is_root else None)
    if err is not None:                                       # MPI: only the root reads
        raise ValueError(err)
    fields = {key[6:]: z[key] for key in z if key.startswith("state_")}
    hist = {key[5:]: list(z[key]) for key in z if key.startswith("hist_")}
    names = ([str(v) for v in z["meta_names"]] if "meta_names" in z
             else ["step", "rounds", "messages", "floats"])      # older checkpoints
    counts = dict(zip(names, (int(v) for v in z["meta"])))
    k = counts.pop("step")
    counts.setdefault("bits", 64 * counts["floats"])   # before bits were counted
    oracle_state = str(z["oracle"])
    elapsed = float(z["elapsed"])
    net.set_step(0)
    probe = alg.init(_local_rows(net, X0), _NullOracle(oracle), net)
    net.counters = type(net.counters)()
    if set(fields) != set(probe._fields):
        raise ValueError(f"checkpoint {path} holds state {sorted(fields)}, but "
                         f"{type(alg).__name__} has {sorted(probe._fields)}")
    state = type(probe)(**{f: np.array(_local_rows(net, fields[f])) for f in probe._fields})
    oracle.set_state(oracle_state)
    for name, v in counts.items():
        setattr(net.counters, name, v)
    for clock in _clocks(net)[:1]:    # undo what the probe's init charged
        if "clock" in z:
            clock.comm, clock.calls = float(z["clock"][0]), int(z["clock"][1])
            clock.compute = np.array(z["clock"][2:], dtype=float)
    if not net.is_root:
        hist = {}
    return state, k, elapsed, hist


class _NullOracle:
    """Stands in for the oracle when only the shape of the initial state is needed."""

    def __init__(self, oracle):
        self._o = oracle

    def grad(self, X):
        return np.zeros_like(X)

    def losses(self, X):
        return np.ones(X.shape[:-1])


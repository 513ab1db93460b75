"""Resolve once, execute once: the layer every entry point goes through.

:func:`resolve_run` turns what a user, a study or the CLI gives (names, spec strings,
import paths, objects) into objects: a built algorithm, a problem, a
:class:`~decopt.mixing.Mixing` (matrices plus effective metrics), seeds, an initial
point and the checked run options of :data:`decopt.options.RUN_OPTIONS`.
:func:`execute_run` runs a :class:`ResolvedRun` on a backend and, given a directory,
saves it. ``decopt.run``, ``decopt.study.run_study``, ``decopt run --algorithm`` and
``decopt run --from run.json`` all use these two functions; below them nothing parses a
spec string or an algorithm name again.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import algorithms as algs
from . import problems as probs
from .backends.select import make_network, mpi_world_size
from .loop import _loop, _Metrics, config_key
from .mixing import Mixing, pi_weights, resolve
from .options import OPTIONS, REQUIRED, check_run_options
from .oracle import Oracle, as_seed
from .validation import check_number

__all__ = ["ResolvedRun", "resolve_run", "execute_run"]


@dataclass
class ResolvedRun:
    """A run with every string resolved into an object.

    Attributes
    ----------
    algorithm : Algorithm
        The built algorithm (its ``alpha`` is the step size).
    algorithm_name : str
        Registered name (``mg_`` included) or import path, for the record.
    problem : Problem
    mixing : Mixing
        The matrices the algorithm mixes with; ``mixing.metrics()`` gives their
        effective metrics.
    seeds : list of int
    batched : bool
        Whether the seeds run batched along a leading axis.
    x0 : ndarray
        Initial point, (n, d) or batched (runs, n, d).
    x0_given : bool
    options : dict
        The checked run options (``steps``, ``rounds``, ``noise``, ...), every row of
        :data:`decopt.options.RUN_OPTIONS`.
    topology : str
        The topology spec, or the mixing's description when it was not a string.
    problem_name : str
        The problem's name (a registered name or a factory's import path).
    """

    algorithm: algs.Algorithm
    algorithm_name: str
    problem: probs.Problem
    mixing: Mixing
    seeds: list
    batched: bool
    x0: np.ndarray
    x0_given: bool
    options: dict
    topology: str
    problem_name: str
    extra_config: dict = field(default_factory=dict)

    def config(self) -> dict:
        """The ``config`` recorded in a result: enough to repeat the run."""
        o = self.options
        alg = self.algorithm
        cfg = {
            "algorithm": self.algorithm_name,
            "options": {f.name: _option_value(getattr(alg, f.name))
                        for f in dataclasses.fields(alg) if f.name != "alpha"},
            "step_size": alg.alpha, "problem": self.problem_name,
            "problem_params": self.problem.params, "topology": self.topology,
            "weights": o["weights"], "weight_seed": o["weight_seed"], "steps": o["steps"],
            "seed": self.seeds if self.batched else self.seeds[0], "noise": o["noise"],
            "batch_size": o["batch_size"], "rounds": o["rounds"], "backend": None,
            "log_every": o["log_every"], "x0": "given" if self.x0_given else "default",
        }
        # options added as rows of the table: recorded when not at their default
        for k, v in o.items():
            if k not in cfg and k not in ("divergence", "checkpoint_every") and \
                    v != OPTIONS[k].default:
                cfg[k] = _option_value(v)
        if self.mixing.labels is not None:   # labels of a relabelled user graph
            cfg["node_labels"] = self.mixing.labels
        return cfg


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


def _option_value(v):
    """Options as they go into the JSON config (a compression operator as its spec)."""
    from .compression import Compressor
    from .costmodel import CostModel
    if isinstance(v, CostModel):
        return v.as_dict()
    return str(v) if isinstance(v, Compressor) else v


def _takers(field: str) -> str:
    return ", ".join(sorted(k for k, c in algs.ALGORITHMS.items()
                            if field in {f.name for f in dataclasses.fields(c)}))


def _apply_algorithm_options(alg, alg_name, opts):
    """Run options that set a field of the algorithm (``local_steps``,
    ``server_optimizer``) or need a server (``participation < 1``), checked against
    what the algorithm can use."""
    fields = {f.name for f in dataclasses.fields(alg)}
    changes = {}
    for name, what in (("local_steps", "takes no local steps"),
                       ("server_optimizer", "has no server optimiser")):
        value = opts.get(name)
        if value is None:
            continue
        if name not in fields:
            raise ValueError(f"{name}={value!r}: algorithm {alg_name!r} {what}; algorithms "
                             f"that take {name}: {_takers(name)}")
        changes[name] = value
    if opts.get("compression") is not None:
        from . import compression as comp
        op = comp.parse(opts["compression"])
        if "compression" in fields:
            changes["compression"] = op
        elif not isinstance(op, comp.Identity):
            raise ValueError(f"algorithm {alg_name!r} cannot compress its messages "
                             f"(compression={opts['compression']!r}); algorithms that can: "
                             f"{_takers('compression')}")
    if opts.get("participation", 1.0) < 1.0 and alg.weights != "server":
        raise ValueError(f"participation={opts['participation']}: client sampling applies to "
                         f"methods with a server ({', '.join(algs.SERVER_METHODS)}), not to "
                         f"{alg_name!r}")
    return dataclasses.replace(alg, **changes) if changes else alg   # re-validates


def resolve_run(algorithm, problem, topology, *, step_size=None, seed=0, x0=None,
                options=None, algorithm_name=None, topology_label=None, problem_name=None,
                **run_options) -> ResolvedRun:
    """Resolve a run's arguments into objects, once (see the module docstring).

    Parameters
    ----------
    algorithm : str or Algorithm
        A registered name, ``mg_<name>``, an import path ``"package.module:Class"``, or a
        built algorithm (then ``step_size`` and ``options`` are ignored).
    problem : Problem or str
        A problem, a registered problem name or a factory import path (built with
        defaults and ``n`` from the topology).
    topology : str, graph, matrix, tuple, dict, list or Mixing
        Anything :func:`decopt.mixing.resolve` takes, or an already resolved Mixing.
    step_size : float
    seed : int, Generator or list of those
    x0 : array or None
    options : dict or None
        Algorithm options (dataclass fields of the algorithm).
    algorithm_name, topology_label, problem_name : str or None
        What the record calls the algorithm (default: its registered name), the topology
        (default: the spec string or the mixing's description) and the problem (default:
        its name).
    **run_options
        The rows of :data:`decopt.options.RUN_OPTIONS` (``steps`` is required).

    Returns
    -------
    ResolvedRun

    Raises
    ------
    TypeError, ValueError
        On any bad argument, naming it.
    """
    opts = {o.name: o.default for o in OPTIONS.values()}
    opts.update(run_options)
    if opts["steps"] is REQUIRED:
        raise TypeError("missing required run option 'steps'")
    opts = check_run_options(opts)
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
        check_number("step_size", step_size, 0.0, strict=True)
        alg = algs.make(algorithm, float(step_size), **(options or {}))
        alg_name = algorithm
    elif isinstance(algorithm, algs.Algorithm):
        alg = algorithm
        alg_name = algorithm_name or algs.name_of(alg)
    else:
        raise TypeError(f"algorithm must be a name, an import path 'package.module:Class' "
                        f"or an Algorithm, got {algorithm!r}")
    alg = _apply_algorithm_options(alg, alg_name, opts)
    if alg_name.startswith("mg_") and opts["rounds"] == 1:
        raise ValueError(f"{alg_name} is multi-step gossip: give rounds=R > 1")
    if isinstance(topology, Mixing):
        mixing = topology
    else:
        mixing = resolve(topology, alg.weights, weights=opts["weights"],
                         weight_seed=opts["weight_seed"])
    if isinstance(problem, str):
        problem_name = problem_name or problem
        problem = probs.make(problem, n=mixing.n)
    elif not isinstance(problem, probs.Problem):
        raise TypeError(f"problem must be a decopt.problems problem or a problem name "
                        f"{sorted(probs.PROBLEMS)}, got {type(problem).__name__} {problem!r}")
    if getattr(alg, "static_only", False) and (
            mixing.generator is not None or opts["link_failure"] > 0
            or opts["activation"] < 1):   # (a periodic list is refused by the method)
        raise ValueError(
            f"algorithm {alg_name!r} keeps copies M x_hat of its neighbours' public values, "
            f"which are wrong once the matrix changes: it needs a static topology, without "
            f"link failures or random activation (got topology {mixing.description!r}, "
            f"link_failure={opts['link_failure']}, activation={opts['activation']})")
    if problem.n != mixing.n:
        raise ValueError(f"the problem has n={problem.n} nodes but the topology has "
                         f"{mixing.n}; give both the same number of nodes")
    if opts["batch_size"] is not None and problem.samples_per_node is None:
        raise ValueError(f"problem {problem.name!r} has no samples to minibatch; "
                         f"use noise=sigma for stochastic gradients")
    try:
        X0 = _initial_point(x0, problem, seeds, batched)
    except MemoryError as e:
        raise ValueError(f"not enough memory for the initial point of problem "
                         f"{problem.name!r} (n={problem.n}, dim={problem.dim}): {e}") from None
    label = topology_label or mixing.spec or (topology if isinstance(topology, str)
                                              else mixing.description)
    return ResolvedRun(algorithm=alg, algorithm_name=alg_name, problem=problem,
                       mixing=mixing, seeds=seeds, batched=batched, x0=X0,
                       x0_given=x0 is not None, options=opts, topology=label,
                       problem_name=problem_name or problem.name)


def _check_checkpoint_path(checkpoint) -> Path:
    """The checkpoint path, checked before anything runs: a str or PathLike whose
    directory exists."""
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


def _check_ranks_agree(backend, comm, config) -> None:
    """Under MPI, compare every rank's run config (before any other collective of the
    run): unless all are equal, raise ValueError on every rank naming the first key that
    differs and the ranks."""
    import json
    if backend == "local" or (backend == "auto" and mpi_world_size() <= 1):
        return
    if comm is None:
        from mpi4py import MPI
        comm = MPI.COMM_WORLD
    if comm.Get_size() <= 1:
        return
    keys = comm.allgather(config_key(config))
    if len(set(keys)) == 1:
        return
    ref = json.loads(keys[0])
    for rank, k in enumerate(keys):
        if k != keys[0]:
            other = json.loads(k)
            key = next(x for x in sorted(set(ref) | set(other))
                       if ref.get(x) != other.get(x))
            raise ValueError(
                f"MPI ranks disagree on the run configuration: {key} = {ref.get(key)!r} on "
                f"rank 0 but {other.get(key)!r} on rank {rank}; every rank must pass the "
                f"same arguments (check that nothing depends on the rank)")


def execute_run(r: ResolvedRun, *, backend="local", comm=None, callback=None,
                progress=False, checkpoint=None, resume=False, out=None,
                extra_meta=None, describe_max_n: int = 2000):
    """Run a resolved run and, when ``out`` is given, save it there (root process only).

    Parameters
    ----------
    r : ResolvedRun
    backend : {"local", "mpi", "auto"}
    comm : mpi4py communicator or None
    callback : callable or None
        ``callback(intermediate_result)`` at each logged step (root process only).
    progress : bool
        A progress bar on the root process when stderr is a terminal.
    checkpoint : path or None
        Checkpoint file (see :func:`decopt.run`); ``resume`` continues it.
    out : path or None
        Run directory to write (``history.csv``, ``final.npz``, ``run.json``) on the root
        process; its ``run.json`` meta holds the topology's effective metrics.
    extra_meta : dict or None
        Added to the meta of ``run.json``.

    Returns
    -------
    Result
    """
    o = r.options
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable (or None), got {callback!r}")
    if checkpoint is not None:
        checkpoint = _check_checkpoint_path(checkpoint)
    problem, alg = r.problem, r.algorithm
    # every rank runs the same config, or every rank stops here (never a hang later)
    # (with how the run is checkpointed: a rank that saves or resumes alone would wait in
    # the gathers of the checkpoint)
    _check_ranks_agree(backend, comm, {
        **r.config(), "checkpoint": None if checkpoint is None else "given",
        "resume": bool(resume), "checkpoint_every": o["checkpoint_every"]})
    net = make_network(backend, r.mixing, o["rounds"], comm=comm,
                       participation=o["participation"], link_failure=o["link_failure"],
                       activation=o["activation"], seeds=r.seeds)
    net.check_agree("problem", problem.checksum())
    if o["cost_model"] is not None:           # sim_time: a clock observing every round
        from .costmodel import SimClock
        net.observers.append(SimClock(o["cost_model"], r.mixing.n, r.seeds))
    oracle = Oracle(problem, net.nodes, r.seeds, noise=o["noise"],
                    batch_size=o["batch_size"], samples=o["rounds"], batched=r.batched)
    pi = pi_weights(r.mixing) if net.is_root else None
    config = r.config()
    config["backend"] = type(net).__name__
    metrics = _Metrics(problem, pi, r.x0, o["divergence"],
                       fairness=alg.weights == "server")
    try:
        res = _loop(alg, oracle, net, r.x0, o["steps"], o["log_every"], callback, metrics,
                    config, progress, checkpoint, o["checkpoint_every"], resume, r.batched)
    except (MemoryError, ValueError) as e:
        # numpy's answers to absurd sizes (e.g. batch_size=2**62); the same arrays are
        # allocated at every step, so this happens at the start
        if isinstance(e, ValueError) and not any(
                t in str(e) for t in ("Maximum allowed", "array is too big")):
            raise
        raise ValueError(
            f"not enough memory for this run (n={problem.n}, dim={problem.dim}, "
            f"{len(r.seeds)} seed(s), batch_size={o['batch_size']}, rounds={o['rounds']}): "
            f"{e}") from None
    if out is not None and net.is_root:
        meta = {"backend": res.config.get("backend"),
                "topology_metrics": r.mixing.metrics(describe_max_n)}
        meta.update(extra_meta or {})
        res.save(out, extra_meta=meta)
    return res

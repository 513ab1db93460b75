"""``decopt.run``: one algorithm, one problem, one topology, one or several seeds.

``run`` is :func:`decopt.resolve.resolve_run` (strings to objects, once) followed by
:func:`decopt.resolve.execute_run` (the loop on a backend). Its keywords besides the
objects are the rows of :data:`decopt.options.RUN_OPTIONS`.
"""

from __future__ import annotations

from .backends.select import BACKENDS, make_network
from .backends.select import mpi_world_size as _mpi_world_size
from .loop import IntermediateResult, Interrupted
from .resolve import execute_run, resolve_run
from .result import Result

__all__ = ["run", "IntermediateResult", "Interrupted", "BACKENDS", "make_network"]


def run(algorithm, problem, topology, *, steps, step_size=None, seed=0, noise=0.0,
        batch_size=None, rounds=1, backend="local", log_every=10, x0=None, callback=None,
        weights="uniform", weight_seed=0, options=None, progress=False, checkpoint=None,
        checkpoint_every=None, resume=False, divergence=1e8, comm=None,
        **more_options) -> Result:
    """Run a decentralised algorithm and record its history.

    Parameters
    ----------
    algorithm : str or Algorithm
        A registered name (``"push_pull"``, ``"pull_diag_gt"``, ..., a name added with
        :func:`decopt.register_algorithm` or an entry point), ``"mg_<name>"`` for any of
        them (with ``rounds=R > 1``), an import path ``"package.module:Class"``, or an
        algorithm object.
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
        Show a tqdm progress bar (root process only, when stderr is a terminal).
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
    **more_options
        Further rows of the run-options table :data:`decopt.options.RUN_OPTIONS`
        (options added by features; each is checked by its row, and an unknown name
        raises TypeError).

    Returns
    -------
    Result
    """
    resolved = resolve_run(
        algorithm, problem, topology, step_size=step_size, seed=seed, x0=x0,
        options=options, steps=steps, noise=noise, batch_size=batch_size, rounds=rounds,
        log_every=log_every, weights=weights, weight_seed=weight_seed,
        divergence=divergence, checkpoint_every=checkpoint_every, **more_options)
    return execute_run(resolved, backend=backend, comm=comm, callback=callback,
                       progress=progress, checkpoint=checkpoint, resume=resume)

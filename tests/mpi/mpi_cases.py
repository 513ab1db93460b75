"""The cases the MPI tests run under mpiexec and compare with the local backend.

Imported both by ``driver.py`` (under mpiexec) and by ``test_mpi_backend.py`` (in the
pytest process), so both sides build exactly the same list for a given number of ranks.
A case is a plain dict; :func:`run_case` turns it into a ``decopt.run`` call.
"""

from __future__ import annotations

import decopt
from decopt.mixing import resolve

import topologies as tp

STEPS = 20
LOG_EVERY = 5
ROW_METHODS = ("frost", "pull_diag_gd", "pull_diag_gt")   # centroid step n * alpha


def _problem(kind, n, seed=0):
    if kind == "quadratic":
        return decopt.problems.quadratic(n=n, dim=3, heterogeneity=1.0, seed=seed)
    return decopt.problems.logistic(n=n, dim=4, samples_per_node=20, heterogeneity=1.0,
                                    seed=seed)


def _step_size(algorithm, problem):
    if algorithm in ROW_METHODS:
        return 0.3 / (problem.n * problem.L)
    return 0.1 / problem.L


def case_name(c) -> str:
    bits = [c["algorithm"], c["topology"], c["problem"]]
    if c["noise"]:
        bits.append(f"noise={c['noise']}")
    if c["batch_size"]:
        bits.append(f"batch={c['batch_size']}")
    if c["rounds"] > 1:
        bits.append(f"R={c['rounds']}")
    if isinstance(c["seed"], list):
        bits.append(f"seeds={c['seed']}")
    return "-".join(bits).replace(" ", "")


def skip_reason(c):
    """Why the digraph cannot provide the weights this algorithm needs, or None."""
    need = decopt.ALGORITHMS[c["algorithm"]].weights
    try:
        resolve(tp.from_spec(c["topology"]), need)
    except ValueError as e:
        return f"{c['topology']} cannot give {need} weights: {e}"
    # methods that keep mixed copies up to date (CHOCO, CPP) refuse time-varying graphs
    if getattr(decopt.ALGORITHMS[c["algorithm"]], "static_only", False) and isinstance(
            tp.from_spec(c["topology"]), list):
        return f"{c['algorithm']} needs a static topology, {c['topology']} is time-varying"
    return None


def cases(nranks: int) -> list[dict]:
    """All cases for a launch on ``nranks`` ranks (n = ranks, n not a multiple of the
    ranks, n = 1 on one rank; deterministic and stochastic; R = 3; time-varying;
    batched seeds)."""
    out = []

    def add(alg, topo, problem="quadratic", noise=0.0, batch_size=None, rounds=1, seed=0):
        out.append(dict(algorithm=alg, topology=topo, problem=problem, noise=noise,
                        batch_size=batch_size, rounds=rounds, seed=seed))

    # n = ranks (n = 1 on one rank) and n = 7 (not a multiple of 2, 3 or 4)
    same = f"exp:{nranks}"
    for alg in decopt.ALGORITHMS:
        for topo in (same, "exp:7", "er:7,p=0.4,seed=1", "uring:7", "skewring:7"):
            add(alg, topo)
        # stochastic gradients under the same seed: additive noise, minibatches
        add(alg, "chords:10", noise=0.5, seed=3)
        add(alg, "exp:10", problem="logistic", batch_size=5, seed=4)
        add(alg, "exp:10", problem="logistic", noise=0.1, batch_size=5, seed=4)
        # multi-step gossip: (k * R + r) mod period with a static and a periodic graph
        add(alg, "skewring:7", rounds=3, noise=0.2, seed=5)
        add(alg, "uring:6", rounds=3)
        # time-varying: one-peer exponential, R = 1 and R = 3 (3 is the period too)
        add(alg, "onepeer:8", noise=0.1, seed=6)
        add(alg, "onepeer:8", rounds=2)
        # batched seeds
        add(alg, "exp:9", noise=0.3, seed=[0, 1])
        add(alg, "uring:5", problem="logistic", batch_size=4, seed=[2, 7])
    for c in out:
        c["name"] = case_name(c)
        c["skip"] = skip_reason(c)
    names = [c["name"] for c in out]
    if len(set(names)) != len(names):
        raise RuntimeError("duplicate case names")
    return out


def graph(topology):
    return tp.from_spec(topology)


def run_case(c, backend, comm=None):
    """``decopt.run`` for case ``c`` on ``backend``."""
    G = graph(c["topology"])
    n = len(G[0]) if isinstance(G, list) else len(G)
    prob = _problem(c["problem"], n)
    kw = dict(steps=STEPS, step_size=_step_size(c["algorithm"], prob), seed=c["seed"],
              noise=c["noise"], batch_size=c["batch_size"], rounds=c["rounds"],
              backend=backend, log_every=LOG_EVERY)
    if comm is not None:
        kw["comm"] = comm
    return decopt.run(c["algorithm"], prob, G, **kw)

"""Cases the federated MPI test runs under mpiexec and compares with the local backend.

Imported by ``fed_mpi_driver.py`` (under mpiexec) and by ``test_fed_mpi.py``, so both
sides build the same list. n = 7 nodes: not a multiple of 2 or 3 ranks.
"""

from __future__ import annotations

import decopt

N = 7
STEPS = 12
SERVER = ("fedavg", "fedadam", "fedyogi", "fedadagrad", "fedprox", "scaffold", "qffl",
          "adafedadam")
GOSSIP = ("local_dsgd", "kgt", "led")


def _problem(kind):
    if kind == "quadratic":
        return decopt.problems.quadratic(n=N, dim=3, heterogeneity=1.0, condition=3.0,
                                         seed=0)
    return decopt.problems.logistic(n=N, dim=4, samples_per_node=20, heterogeneity=1.0,
                                    seed=0)


def cases() -> list[dict]:
    out = []
    for name in SERVER + GOSSIP:
        topo = f"server:{N}" if name in SERVER else f"exp:{N}"
        out.append(dict(algorithm=name, topology=topo, problem="quadratic", noise=0.0,
                        batch_size=None, seed=0, participation=1.0))
        out.append(dict(algorithm=name, topology=topo, problem="logistic", noise=0.1,
                        batch_size=5, seed=[1, 2],
                        participation=0.5 if name in SERVER else 1.0))
    out.append(dict(algorithm="kgt", topology=f"uring:{N}", problem="quadratic",
                    noise=0.2, batch_size=None, seed=3, participation=1.0))
    for c in out:
        c["name"] = "-".join(str(c[k]) for k in ("algorithm", "topology", "problem",
                                                 "noise", "batch_size", "seed",
                                                 "participation")).replace(" ", "")
    return out


def run_case(c, backend, comm=None):
    prob = _problem(c["problem"])
    step = 0.05 if c["problem"] == "quadratic" else 0.3
    return decopt.run(c["algorithm"], prob, c["topology"], steps=STEPS, step_size=step,
                      seed=c["seed"], noise=c["noise"], batch_size=c["batch_size"],
                      local_steps=3, participation=c["participation"], log_every=4,
                      backend=backend, comm=comm)

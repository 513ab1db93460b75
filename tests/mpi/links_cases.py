"""Cases of link failures, random activation and random time-varying topologies that
``links_driver.py`` runs under mpiexec and ``test_mpi_links.py`` compares with the local
backend (imported by both, so both build the same list)."""

from __future__ import annotations

import decopt

STEPS = 20
LOG_EVERY = 5
ROW_METHODS = ("frost", "pull_diag_gd", "pull_diag_gt")


def _problem(n):
    return decopt.problems.quadratic(n=n, dim=3, heterogeneity=1.0, seed=0)


def _n(topology):
    from decopt.mixing import resolve
    return resolve(topology, "row").n


def cases() -> list[dict]:
    out = []

    def add(alg, topo, link_failure=0.0, activation=1.0, rounds=1, noise=0.0, seed=0):
        name = f"{alg}-{topo}-p={link_failure}-q={activation}-R={rounds}-noise={noise}-seed={seed}"
        out.append(dict(name=name.replace(" ", ""), algorithm=alg, topology=topo,
                        link_failure=link_failure, activation=activation, rounds=rounds,
                        noise=noise, seed=seed))

    directed = ("push_pull", "ab", "pull_diag_gt", "pull_diag_gd", "frost", "push_diging",
                "sgp")
    for alg in directed:
        add(alg, "chords:7", link_failure=0.3)
        add(alg, "chords:7", activation=0.6)
        add(alg, "er:7,p=0.4,seed=1", link_failure=0.2, activation=0.7, noise=0.2, seed=3)
    for alg in ("gt", "dsgd"):
        add(alg, "exp:7", link_failure=0.3)
        add(alg, "exp:7", activation=0.5)
    add("exact_diffusion", "uring:7", activation=0.5, link_failure=0.1)
    # multi-step gossip, periodic topology, batched seeds with per-seed matrices
    add("push_pull", "skewring:7", link_failure=0.25, rounds=3)
    add("pull_diag_gt", "onepeer:8", link_failure=0.25, activation=0.8)
    add("push_pull", "chords:7", link_failure=0.3, activation=0.7, seed=[0, 1])
    add("pull_diag_gt", "chords:7", link_failure=0.3, seed=[2, 5])
    # random time-varying topologies
    add("push_pull", "random:kout:7,k=2,every=3")
    add("push_pull", "random:kout:7,k=2,every=1", link_failure=0.2, seed=[0, 4])
    add("push_diging", "random:kout:7,k=3,every=2", noise=0.1)
    add("gt", "random:onepeer:8,every=2")
    add("pull_diag_gt", "random:onepeer:8,every=1", activation=0.7)
    add("gt", "pairwise:uring:7")
    add("exact_diffusion", "pairwise:uring:7", seed=[1, 2])
    add("push_pull", "gossip:grid:2x4", rounds=2, link_failure=0.1)
    return out


def run_case(c, backend, comm=None):
    prob = _problem(_n(c["topology"]))
    a = 0.3 / (prob.n * prob.L) if c["algorithm"] in ROW_METHODS else 0.1 / prob.L
    kw = dict(steps=STEPS, step_size=a, seed=c["seed"], noise=c["noise"],
              rounds=c["rounds"], backend=backend, log_every=LOG_EVERY,
              link_failure=c["link_failure"], activation=c["activation"])
    if comm is not None:
        kw["comm"] = comm
    return decopt.run(c["algorithm"], prob, c["topology"], **kw)

"""Exchange checks of the MPI backend against LocalNetwork on hand-built sparse matrices.

Run under mpiexec (``mpiexec -n P python -m mpi4py tests/mpi/exchange_driver.py``); every
rank builds the same random matrices, mixes its rows with :class:`MPINetwork` and
compares them with its rows of the in-process result. Any mismatch raises (and, under
``python -m mpi4py``, aborts the job); rank 0 prints ``exchange OK`` at the end.
Needs neither ``topologies`` nor ``decopt.problems``.
"""

import sys

import numpy as np
import scipy.sparse as sp
from mpi4py import MPI

from decopt.backends.mpi import MPINetwork
from decopt.network import LocalNetwork

REL_PULL = 0.0      # pull applies each row in the same order as A @ Z: bit for bit
REL_PUSH = 1e-14    # push sums per rank: round-off only


def random_support(n, p, rng):
    S = rng.random((n, n)) < p
    np.fill_diagonal(S, True)
    S[(np.arange(n) + 1) % n, np.arange(n)] = True          # a ring keeps it connected
    return S


def stochastic(S, rng, side):
    W = S * rng.integers(1, 4, size=S.shape)
    W = W / (W.sum(axis=1, keepdims=True) if side == "row" else W.sum(axis=0, keepdims=True))
    return sp.csr_array(W)


def close(a, b, rel, what):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise AssertionError(f"{what}: shape {a.shape} != {b.shape}")
    err = np.max(np.abs(a - b), initial=0.0)
    scale = np.max(np.abs(b), initial=0.0)
    if err > rel * scale:
        raise AssertionError(f"{what}: max error {err:.3g} > {rel:g} * {scale:.3g}")


def check(n, period, rounds, p, seed, comm):
    rng = np.random.default_rng(seed)
    rows = [stochastic(random_support(n, p, rng), rng, "row") for _ in range(period)]
    cols = [stochastic(random_support(n, p, rng), rng, "col") for _ in range(period)]
    loc = LocalNetwork(row=rows, col=cols, rounds=rounds)
    net = MPINetwork(n, row=rows, col=cols, rounds=rounds, comm=comm)
    sl = slice(net.lo, net.hi)
    tag = f"n={n} period={period} rounds={rounds} p={p} size={net.size}"
    # blocks: contiguous, sizes differing by at most one; empty only when n < size
    if net.m != net.hi - net.lo or net.m < (1 if n >= net.size else 0):
        raise AssertionError(f"{tag}: bad block {net.lo}..{net.hi}")
    for k in range(2 * period + 1):
        loc.set_step(k)
        net.set_step(k)
        x = rng.standard_normal((n, 3))
        xb = rng.standard_normal((2, n, 4))
        v = rng.standard_normal((n, n))
        e = np.zeros((n, 0))
        w = rng.standard_normal((2, 3, n, 1))
        for verb, rel in (("pull", REL_PULL), ("push", REL_PUSH)):
            want = getattr(loc, verb)(x)
            got = getattr(net, verb)(x[sl])
            close(got, want[sl], rel, f"{tag} {verb} single k={k}")
            want = getattr(loc, verb)(xb, v, e, w, x)
            got = getattr(net, verb)(xb[:, sl], v[sl], e[sl], w[..., sl, :], x[sl])
            for gi, wi, name in zip(got, want, ("xb", "v", "e", "w", "x")):
                close(gi, wi[..., sl, :], rel, f"{tag} {verb} packed {name} k={k}")
    if net.counters.as_dict() != loc.counters.as_dict():
        raise AssertionError(f"{tag}: counters {net.counters} != {loc.counters}")
    g = net.gather(xb[:, sl])
    if net.is_root:
        close(g, xb, 0.0, f"{tag} gather")
    else:
        assert g is None
    g = net.gather(v[sl])
    if net.is_root:
        close(g, v, 0.0, f"{tag} gather 2-D")
    if net.allreduce_max(net.rank) != net.size - 1:
        raise AssertionError("allreduce_max")
    if net.bcast({"a": net.rank})["a"] != 0:
        raise AssertionError("bcast")
    return net


def main():
    comm = MPI.COMM_WORLD
    size = comm.Get_size()
    cases = [(size, 1, 1, 0.5), (size, 3, 2, 0.3), (7, 1, 3, 0.2), (7, 4, 1, 0.4),
             (16, 2, 2, 0.15), (29, 1, 1, 0.1), (size + 1, 2, 1, 0.6), (1 * size, 1, 1, 1.0)]
    if size == 1:
        cases.append((1, 1, 2, 1.0))
    # n < size: the ranks past the n-th host no node and only join the collectives
    if size > 1:
        cases += [(1, 1, 2, 1.0), (size - 1, 2, 1, 0.5)]
    for i, (n, period, rounds, p) in enumerate(cases):
        check(n, period, rounds, p, seed=100 + i, comm=comm)
    # no rank-level edges at all (identity): every rank has an empty neighbourhood
    n = size + 3
    eye = sp.identity(n, format="csr")
    net = MPINetwork(n, row=[eye], col=[eye], rounds=2, comm=comm)
    x = np.arange(3.0 * n).reshape(n, 3)[net.lo:net.hi]
    close(net.pull(x), x, 0.0, "identity pull")
    close(net.push(x), x, 0.0, "identity push")
    if net.counters.messages != 0 or net.counters.rounds != 4:
        raise AssertionError(f"identity counters {net.counters}")
    # matrices differing on one rank: ValueError naming the matrices and the rank
    if size > 1:
        n = size + 2
        A = np.full((n, n), 1.0 / n)
        if comm.Get_rank() == size - 1:
            A = 0.5 * np.eye(n) + 0.5 * A
        try:
            MPINetwork(n, row=[sp.csr_array(A)], comm=comm)
        except ValueError as e:
            if "mixing matrices" not in str(e) or f"[{size - 1}]" not in str(e):
                raise AssertionError(f"unexpected message: {e}") from None
        else:
            raise AssertionError("differing matrices did not raise")
    comm.Barrier()
    if comm.Get_rank() == 0:
        print("exchange OK", flush=True)


if __name__ == "__main__":
    sys.exit(main())

"""Cost of a compressed gossip round against an uncompressed one.

    python benchmarks/bench_compression.py [--quick]                  # in-process
    mpiexec -n 2 python -m mpi4py benchmarks/bench_compression.py     # MPI backend

One round of each method's communication on the static exponential graph, n nodes,
d values per node, all timed in the same run, alternating, best of the repetitions:

- ``plain``: ``net.pull(z)`` of the dense (n, d) block (what an uncompressed method
  sends: 64 bits per value);
- ``<op>``: ``decopt.compression.apply(op, z)`` (the operator, with its counter-based
  random draws for the random ones) followed by ``net.pull(q, compressor=op)``.

Both move the same dense float64 buffers (decopt simulates the bits, it does not pack
them), so the ratio is the compute overhead of compressing; ``bits`` is the ratio of
bits on the wire that the counters record. Under MPI each repetition is timed as the
slowest rank (a barrier before, an allreduce of the time after).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import topologies as tp
from decopt import compression as comp
from decopt.network import LocalNetwork

OPS = ("topk:0.1", "randk:0.1", "randk_biased:0.1", "qsgd:16", "sign", "fp16", "bf16")


def make_net(n, mpi):
    A = tp.row_stochastic(tp.exponential(n))
    if mpi:
        from decopt.backends.mpi import MPINetwork
        return MPINetwork(n, row=[A])
    return LocalNetwork(row=[A])


def bench(n, d, reps, mpi):
    net = make_net(n, mpi)
    net.seeds = [0]
    z = np.random.default_rng(0).normal(size=(net.m, d))
    comm = getattr(net, "comm", None)

    def timed(fn):
        if comm is not None:
            comm.Barrier()
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        return net.allreduce_max(dt)

    cases = {"plain": (None, lambda: net.pull(z))}
    for spec in OPS:
        op = comp.parse(spec)
        cases[spec] = (op, lambda op=op: net.pull(comp.apply(op, z, net), compressor=op))
    best = {k: np.inf for k in cases}
    for r in range(reps):
        for k, (_, fn) in cases.items():       # alternate: drifts hit all cases alike
            net.set_step(r)
            best[k] = min(best[k], timed(fn))
    rows = []
    for k, (op, _) in cases.items():
        bits = 1.0 if op is None else op.bits(d) / (64 * d)
        rows.append((k, best[k] * 1e3, best[k] / best["plain"], bits))
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    args = p.parse_args(argv)
    try:
        from mpi4py import MPI
        mpi = MPI.COMM_WORLD.Get_size() > 1
        root = MPI.COMM_WORLD.Get_rank() == 0
        size = MPI.COMM_WORLD.Get_size()
    except ImportError:
        mpi, root, size = False, True, 1
    sizes = [(64, 1000)] if args.quick else [(64, 100), (64, 10000), (256, 1000)]
    reps = 5 if args.quick else 20
    for n, d in sizes:
        rows = bench(n, d, reps, mpi)
        if root:
            where = f"MPI, {size} ranks" if mpi else "in-process"
            print(f"\n### one gossip round, exp:{n}, d={d} ({where}, best of {reps})")
            print(f"{'operator':<18}{'ms/round':>10}{'time ratio':>12}{'bits ratio':>12}")
            for k, ms, ratio, bits in rows:
                print(f"{k:<18}{ms:>10.3f}{ratio:>12.2f}{bits:>12.4f}")


if __name__ == "__main__":
    main()

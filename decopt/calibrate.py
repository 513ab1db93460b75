"""Measure a cost-model profile on the machine this runs on (``python -m decopt.calibrate``).

Launch under MPI with at least two ranks::

    mpiexec -n 2 python -m mpi4py -m decopt.calibrate --out profile.toml \\
        [--problem quadratic --dim 10] [--repeats 5]

What is measured (means over ``3 * --repeats`` barrier-started blocks, each timed by its
slowest rank: the mean, not the median, because a run's time is the sum of its rounds,
descheduling spikes on a shared machine included; rank 0 writes the profile):

- ``latency`` (alpha): half the round-trip time of a ping-pong of 8-byte messages between
  ranks 0 and 1 (``Send``/``Recv`` on raw buffers);
- ``bandwidth`` (beta): the bandwidth decopt's exchange achieves at the payload of the
  runs the profile is for: ``8 (big - 1) / (t(big) - t(1))`` where ``t(w)`` is the time
  of one gossip round of :class:`decopt.backends.mpi.MPINetwork` over a directed ring
  (one node per rank) with ``w`` float64 per message (``--big``, default
  ``max(--dim, 1024)``). It includes packing, the neighbourhood collective and the local
  product, so it is below the raw link rate, which is also measured (ping-pong of
  ``--big`` values) and recorded in the file's comment. On one machine such a round is
  bound by memory traffic, whose cost per byte depends on the message size (cache), so
  a slope taken at one size transfers poorly to another (BENCHMARKS.md, cost model,
  2 ranks: predictions within +-25% when calibrated at the run's payload, 0.57-0.81 of
  the measured time when calibrated at 2^17 floats for d = 10 .. 10^5): calibrate with
  ``--dim`` of your runs;
- ``overhead`` (o): ``t(1) - alpha - 8 / beta``, the per-round software cost of that
  exchange;
- ``compute``: the time of one iteration of ``--algorithm`` (a gradient of ``--problem``
  plus the algorithm's local vector arithmetic) on one node whose ``pull``/``push`` return
  their input (no communication, no mixing), per oracle call; ``--algorithm none`` times
  the gradient alone (mean over repeats, the slowest rank).

The profile is :class:`decopt.costmodel.CostModel` with ``serialize="sender"`` (the rule
of :mod:`decopt.costmodel`), written as a ``[cost_model]`` TOML table that
:func:`decopt.costmodel.load` (and ``cost_model=<path>``) reads.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m decopt.calibrate",
        description="Measure latency, bandwidth, round overhead and gradient time under "
                    "mpiexec and write a cost-model profile (TOML).")
    p.add_argument("--out", default="profile.toml", help="profile file to write")
    p.add_argument("--name", default=None, help="profile name (default: the file's stem)")
    p.add_argument("--problem", default="quadratic", help="problem of the compute timing")
    p.add_argument("--dim", type=int, default=10, help="problem dimension d")
    p.add_argument("--algorithm", default="push_pull",
                   help="algorithm whose local work per oracle call is timed ('none': "
                        "the gradient alone)")
    p.add_argument("--repeats", type=int, default=5, help="measurement blocks (3 x this many; their mean is used)")
    p.add_argument("--big", type=int, default=None,
                   help="float64 values of the bandwidth messages (default: max(--dim, "
                        "1024), the payload of the runs the profile is for)")
    return p


def _block_time(fn, repeats: int, inner: int, comm) -> float:
    """Mean over ``repeats`` blocks of the per-call time of ``fn`` (``inner`` calls),
    each block started by a barrier; the block time is the max over ranks."""
    out = []
    for _ in range(repeats):
        comm.Barrier()
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        dt = (time.perf_counter() - t0) / inner
        out.append(comm.allreduce(dt, op=_max()))
    return float(np.mean(out))


def _max():
    from mpi4py import MPI
    return MPI.MAX


def pingpong(comm, values: int, repeats: int, inner: int) -> float:
    """Half round-trip seconds of ``values`` float64 between ranks 0 and 1."""
    buf = np.zeros(max(1, values))
    rank = comm.Get_rank()

    def once():
        if rank == 0:
            comm.Send(buf, dest=1, tag=7)
            comm.Recv(buf, source=1, tag=7)
        elif rank == 1:
            comm.Recv(buf, source=0, tag=7)
            comm.Send(buf, dest=0, tag=7)
    return _block_time(once, repeats, inner, comm) / 2.0


def round_time(comm, repeats: int, inner: int, width: int = 1) -> float:
    """Seconds of one gossip round of decopt's MPI exchange over a directed ring (one node
    per rank, ``width`` float64 per message)."""
    import scipy.sparse as sp

    from .backends.mpi import MPINetwork
    p = comm.Get_size()
    i = np.arange(p)
    A = sp.csr_array((np.full(2 * p, 0.5), (np.r_[i, i], np.r_[i, (i - 1) % p])),
                     shape=(p, p))
    net = MPINetwork(p, row=[A], comm=comm)
    x = np.ones((net.m, width))
    return _block_time(lambda: net.pull(x), repeats, inner, comm)


def compute_time(comm, problem: str, dim: int, repeats: int, algorithm="push_pull") -> float:
    """Seconds per oracle call on one node (node = this rank): one iteration of
    ``algorithm`` on a one-node network, or the gradient alone (``algorithm="none"``)."""
    from . import algorithms, problems
    from .oracle import Oracle
    p = comm.Get_size()
    prob = problems.make(problem, n=p, dim=dim)
    oracle = Oracle(prob, [comm.Get_rank()], [0])
    x = np.zeros((1, prob.dim))
    if algorithm == "none":
        def once():
            oracle.grad(x)
    else:
        alg = algorithms.make(algorithm, 1e-3)
        net = _NoMixing()
        state = [alg.init(x, oracle, net)]

        def once():
            state[0] = alg.step(state[0], oracle, net)
    once()
    inner = 50
    out = []
    for _ in range(repeats):
        c0 = oracle.calls
        t0 = time.perf_counter()
        for _ in range(inner):
            once()
        out.append((time.perf_counter() - t0) / max(1, oracle.calls - c0))
    return float(np.max(comm.allgather(float(np.mean(out)))))


class _NoMixing:
    """A one-node network whose verbs return their input: times local work only."""

    n = m = 1
    nodes = np.zeros(1, dtype=np.int64)
    rounds = 1

    def pull(self, *arrays):
        return arrays[0] if len(arrays) == 1 else arrays

    push = pull

    def identity_rows(self):
        return np.ones((1, 1))

    def own_entries(self, v):
        return v[:, 0]


def calibrate(comm, problem="quadratic", dim=10, repeats=5, big=None, name="calibrated",
              algorithm="push_pull"):
    """Measure and return ``(CostModel, details dict)`` (collective over ``comm``).

    ``big`` (float64 values per bandwidth message) defaults to ``max(dim, 1024)``: the
    bandwidth is measured at the payload of the runs the profile is for."""
    if big is None:
        big = max(int(dim), 1024)
    from .costmodel import CostModel
    if comm.Get_size() < 2:
        raise ValueError(f"calibrate needs at least 2 MPI ranks, got {comm.Get_size()}; "
                         f"launch with mpiexec -n 2 python -m mpi4py -m decopt.calibrate")
    blocks = 3 * repeats
    alpha = pingpong(comm, 1, blocks, 500)
    t_big = pingpong(comm, big, blocks, 10)
    raw_beta = 8.0 * big / max(t_big - alpha, 1e-12)
    t_round = round_time(comm, blocks, 300)
    t_round_big = round_time(comm, blocks, 10, width=big)
    beta = 8.0 * (big - 1) / max(t_round_big - t_round, 1e-12)
    overhead = max(0.0, t_round - alpha - 8.0 / beta)
    compute = compute_time(comm, problem, dim, repeats, algorithm)
    model = CostModel(name=name, latency=alpha, bandwidth=beta, compute=compute,
                      overhead=overhead, serialize="sender")
    details = {"ranks": comm.Get_size(), "pingpong_8B_half_rtt": alpha,
               f"pingpong_{8 * big}B_half_rtt": t_big, "raw_bandwidth": raw_beta,
               "ring_round_8B": t_round, f"ring_round_{8 * big}B": t_round_big,
               "compute_of": f"{algorithm} on {problem} d={dim}"}
    return model, details


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    from pathlib import Path
    try:
        from mpi4py import MPI
    except ImportError as e:   # pragma: no cover - environment
        print(f"error: calibrate needs mpi4py ({e})", file=sys.stderr)
        return 2
    comm = MPI.COMM_WORLD
    name = args.name or Path(args.out).stem
    for key in ("repeats", "dim", "big"):
        if getattr(args, key) is not None and getattr(args, key) < 1:
            if comm.Get_rank() == 0:
                print(f"error: --{key} must be >= 1, got {getattr(args, key)}",
                      file=sys.stderr)
            return 2
    try:
        model, details = calibrate(comm, args.problem, args.dim, args.repeats, args.big,
                                   name, args.algorithm)
    except (ValueError, TypeError) as e:
        if comm.Get_rank() == 0:
            print(f"error: {e}", file=sys.stderr)
        return 2
    if comm.Get_rank() == 0:
        from .costmodel import to_toml
        from .result import atomic_write
        note = (f"measured by python -m decopt.calibrate "
                f"({time.strftime('%Y-%m-%d %H:%M')}), " +
                ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                          for k, v in details.items()))
        atomic_write(args.out, to_toml(model, note).encode())
        print(f"latency {model.latency * 1e6:.2f} us, bandwidth {model.bandwidth / 1e9:.3f} "
              f"GB/s, overhead {model.overhead * 1e6:.2f} us/round, compute "
              f"{model.compute * 1e6:.2f} us/gradient -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

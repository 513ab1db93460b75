"""Measure a cost-model profile on the machine this runs on (``python -m decopt.calibrate``).

Launch under MPI with at least two ranks::

    mpiexec -n 2 python -m mpi4py -m decopt.calibrate --out profile.toml \\
        [--problem quadratic --dim 10] [--repeats 5]

The network part is calibrated on real MPI iterations of the method the profile is for
(``--algorithm``, Push-Pull by default): what a round costs inside ``decopt.run``, with
its packing, neighbourhood collective, local product, pushes as well as pulls, and the
bookkeeping around them. Every quantity is the mean over ``3 * --repeats`` blocks of
about ``BLOCK_SECONDS`` (20 ms), each started by a barrier and timed by its slowest rank
(the mean, not the median, because a run's time is the sum of its rounds, descheduling
spikes on a shared machine included). The quantities whose differences are used are
measured in turns (one block of each, then again), so that a change of the machine's
load during the calibration reaches all of them alike. Rank 0 writes the profile.

- ``r1(w)``: per gossip round, one iteration of the method over the directed ring (one
  node per rank, one message per node and round) on quadratics of dimension ``w``,
  minus its compute, divided by its rounds per iteration; at ``w = 1`` and ``w = big``
  (``--big``, default ``max(--dim, 1024)``: the payload of the runs the profile is for;
  on one machine a round is bound by memory traffic, whose cost per byte depends on
  the message size, so a slope taken at one size transfers poorly to another:
  calibrate with the ``--dim`` of your runs);
- ``r2(w)``: the same over the bidirectional ring (two messages per node and round),
  with three or more ranks;
- the message: ``tau(w) = r2(w) - r1(w)``, giving ``bandwidth`` (beta) ``= 8 (big - 1)
  / (tau(big) - tau(1))`` and ``latency`` (alpha) ``= tau(1) - 8 / beta``;
- the rest of a round, paid once whatever the degree: ``r1(w) - tau(w)``, giving
  ``local_bandwidth`` (gamma) from its slope and ``overhead`` (o) from its value at
  ``w = 1`` (see :mod:`decopt.costmodel`; LogGP's cost per byte taken once per round).
  With two ranks (only one ring), or when noise makes a difference non-positive, the
  whole round is charged per message as before: beta from the slope of ``r1``, alpha
  from an 8-byte ping-pong, o = ``r1(1) - alpha - 8 / beta``, gamma = inf;
- ``compute``: one iteration of ``--algorithm`` (a gradient of ``--problem`` plus the
  method's local vector arithmetic) on one node whose ``pull``/``push`` return their
  input, per oracle call; also subtracted from the ring iterations above.
- ``--algorithm none``: the gradient alone as compute, and pull rounds of the exchange
  alone (no method) for the network part.

A ping-pong of ``--big`` values between ranks 0 and 1 (the raw link rate, above what
decopt's exchange achieves) is recorded in the file's comment.

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


#: Target duration of one measurement block (s): long enough that a block is many
#: scheduler time slices, so one descheduling does not decide it.
BLOCK_SECONDS = 0.02


def _inner_for(fn, comm, seconds: float = BLOCK_SECONDS, cap: int = 100_000) -> int:
    """Calls of ``fn`` per block so that a block lasts about ``seconds`` (the same on
    every rank: the slowest rank's probe decides)."""
    comm.Barrier()
    inner = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        dt = comm.allreduce(time.perf_counter() - t0, op=_max())
        if dt >= seconds / 4 or inner >= cap:
            return int(min(cap, max(1, np.ceil(inner * seconds / max(dt, 1e-9)))))
        inner *= 4


def _timed(fn, comm, blocks: int) -> float:
    """Per-call seconds of ``fn`` over ``blocks`` blocks of about BLOCK_SECONDS each."""
    return _block_time(fn, blocks, _inner_for(fn, comm), comm)


def _max():
    from mpi4py import MPI
    return MPI.MAX


def pingpong(comm, values: int, repeats: int) -> float:
    """Half round-trip seconds of ``values`` float64 between ranks 0 and 1 (``repeats``
    blocks of about BLOCK_SECONDS)."""
    buf = np.zeros(max(1, values))
    rank = comm.Get_rank()

    def once():
        if rank == 0:
            comm.Send(buf, dest=1, tag=7)
            comm.Recv(buf, source=1, tag=7)
        elif rank == 1:
            comm.Recv(buf, source=0, tag=7)
            comm.Send(buf, dest=0, tag=7)
    return _timed(once, comm, repeats) / 2.0


def _ring(p: int, hops=(1,)):
    """Row- and column-stochastic weights (one matrix, doubly stochastic) of the ring on
    p nodes (one per rank) in which node i hears i - h for every h in ``hops``
    (receiver-first): ``(1,)`` the directed ring (out-degree 1), ``(1, -1)`` the
    bidirectional ring (out-degree 2 when p >= 3)."""
    import scipy.sparse as sp
    i = np.arange(p)
    src = [i] + [(i - h) % p for h in hops]
    A = sp.coo_array((np.ones(len(src) * p), (np.tile(i, len(src)), np.concatenate(src))),
                     shape=(p, p)).tocsr()      # duplicates (p = 2, hops 1 and -1) summed
    A = sp.csr_array(A / A.sum(axis=1)[:, None])
    return A, A


def round_time(comm, repeats: int, width: int = 1) -> float:
    """Seconds of one gossip round (a pull) of decopt's MPI exchange over a directed
    ring (one node per rank, ``width`` float64 per message)."""
    from .backends.mpi import MPINetwork
    A, _ = _ring(comm.Get_size())
    net = MPINetwork(comm.Get_size(), row=[A], comm=comm)
    x = np.ones((net.m, width))
    return _timed(lambda: net.pull(x), comm, repeats)


def _interleaved(fns, comm, blocks: int) -> list:
    """Per-call seconds of each of ``fns``: ``blocks`` blocks of each, taken in turns
    (f0, f1, ..., f0, f1, ...), so that a change of the machine's load during the
    measurement reaches all of them alike (their differences are what calibrate uses)."""
    inner = [_inner_for(f, comm) for f in fns]
    out = [[] for _ in fns]
    for _ in range(blocks):
        for j, f in enumerate(fns):
            out[j].append(_block_time(f, 1, inner[j], comm))
    return [float(np.mean(v)) for v in out]


def ring_stepper(comm, algorithm: str, problem: str, dim: int, hops=(1,)):
    """``(step, rounds, calls)``: ``step()`` runs one iteration of ``algorithm`` on
    ``problem`` (dimension ``dim``) over a ring with one node per rank (``hops``: see
    :func:`_ring`; the directed ring by default), a real
    MPI iteration of the method (its pulls and pushes through :class:`MPINetwork`, a
    :class:`~decopt.costmodel.SimClock` observing the rounds, as in ``decopt.run``);
    ``rounds`` and ``calls`` are its gossip rounds and oracle calls per iteration."""
    from . import algorithms, problems
    from .backends.mpi import MPINetwork
    from .costmodel import CostModel, SimClock
    from .oracle import Oracle
    p = comm.Get_size()
    A, B = _ring(p, hops)
    net = MPINetwork(p, row=[A], col=[B], comm=comm)
    net.observers.append(SimClock(CostModel(latency=0.0, bandwidth=1.0), p, [0]))
    prob = problems.make(problem, n=p, dim=dim)
    oracle = Oracle(prob, [comm.Get_rank()], [0])
    alg = algorithms.make(algorithm, 1e-3)
    x0 = np.zeros((1, prob.dim))
    state = [alg.init(x0, oracle, net)]
    k = [0]

    def step():
        net.set_step(k[0])
        state[0] = alg.step(state[0], oracle, net)
        k[0] += 1
        if k[0] % 1000 == 0:          # keep the iterates where the method started
            state[0] = alg.init(x0, oracle, net)
    step()
    r0, c0 = net.counters.rounds, oracle.calls
    step()
    return step, net.counters.rounds - r0, oracle.calls - c0


def compute_stepper(comm, problem: str, dim: int, algorithm="push_pull"):
    """``(step, calls)``: ``step()`` is one iteration of ``algorithm`` on one node (node =
    this rank) whose ``pull``/``push`` return their input (no communication, no mixing),
    or the gradient alone (``algorithm="none"``); ``calls`` oracle calls per step."""
    from . import algorithms, problems
    from .oracle import Oracle
    p = comm.Get_size()
    prob = problems.make(problem, n=p, dim=dim)
    oracle = Oracle(prob, [comm.Get_rank()], [0])
    x = np.zeros((1, prob.dim))
    if algorithm == "none":
        def step():
            oracle.grad(x)
    else:
        alg = algorithms.make(algorithm, 1e-3)
        net = _no_mixing()
        state = [alg.init(x, oracle, net)]

        def step():
            state[0] = alg.step(state[0], oracle, net)
    step()
    c0 = oracle.calls
    step()
    return step, max(1, oracle.calls - c0)


def compute_time(comm, problem: str, dim: int, repeats: int, algorithm="push_pull") -> float:
    """Seconds per oracle call of :func:`compute_stepper`: the mean over ``repeats``
    blocks of about BLOCK_SECONDS, the slowest rank's."""
    step, calls = compute_stepper(comm, problem, dim, algorithm)
    return _timed(step, comm, repeats) / calls


def _no_mixing():
    """A one-node in-process network whose ``pull``/``push`` return their input: the
    whole network API (``average``, ``participants``, compressors, ``rounds``, ...), so
    that any method's step runs, but no mixing work, which the rounds are charged with."""
    import scipy.sparse as sp

    from .backends.local import LocalNetwork

    class NoMixing(LocalNetwork):
        def _mix(self, side, arrays):
            return arrays[0] if len(arrays) == 1 else tuple(arrays)

    one = sp.csr_array(np.ones((1, 1)))
    return NoMixing(row=[one], col=[one])


def _split_local(per_round, big: int):
    """The model of a round from the directed ring (one message per node: ``r1``) and the
    bidirectional ring (two: ``r2``) at widths 1 and ``big``: the message's cost is
    ``tau(w) = r2(w) - r1(w)``, the rest ``r1(w) - tau(w)`` is paid once per round;
    each is split into a constant and a per-byte part by the two widths. Returns
    ``(CostModel or None, details)``: None when the differences are not positive (noise
    larger than the effect), and the caller then charges the whole round per message."""
    from .costmodel import CostModel
    r1, r1b, r2, r2b = per_round
    tau, tau_b = r2 - r1, r2b - r1b
    loc, loc_b = r1 - tau, r1b - tau_b
    details = {"message_8B": tau, f"message_{8 * big}B": tau_b, "local_8B": loc,
               f"local_{8 * big}B": loc_b}
    if not (tau_b > tau > 0 and loc > 0):
        return None, details
    beta = 8.0 * (big - 1) / (tau_b - tau)
    gamma = 8.0 * (big - 1) / (loc_b - loc) if loc_b > loc else float("inf")
    latency = max(0.0, tau - 8.0 / beta)
    overhead = max(0.0, loc - 8.0 / gamma)
    return CostModel(latency=latency, bandwidth=beta, local_bandwidth=gamma,
                     overhead=overhead, serialize="sender"), details


def calibrate(comm, problem="quadratic", dim=10, repeats=5, big=None, name="calibrated",
              algorithm="push_pull"):
    """Measure and return ``(CostModel, details dict)`` (collective over ``comm``).

    ``big`` (float64 values per bandwidth message) defaults to ``max(dim, 1024)``: the
    bandwidth is measured at the payload of the runs the profile is for. With an
    algorithm, the round's cost comes from that algorithm's own iterations over the
    ring (dimension 1 and ``big``) minus their compute; with ``algorithm="none"``, from
    pull rounds alone."""
    if big is None:
        big = max(int(dim), 1024)
    from .costmodel import CostModel
    if isinstance(big, bool) or not isinstance(big, (int, np.integer)) or big < 2:
        raise ValueError(f"calibrate: big must be an int >= 2 (float64 values per "
                         f"bandwidth message; the slope needs two widths, 1 and big), "
                         f"got {big!r}")
    if comm.Get_size() < 2:
        raise ValueError(f"calibrate needs at least 2 MPI ranks, got {comm.Get_size()}; "
                         f"launch with mpiexec -n 2 python -m mpi4py -m decopt.calibrate")
    blocks = 3 * repeats
    alpha = pingpong(comm, 1, blocks)
    t_big = pingpong(comm, big, blocks)
    raw_beta = 8.0 * big / max(t_big - alpha, 1e-12)
    details = {"ranks": comm.Get_size(), "pingpong_8B_half_rtt": alpha,
               f"pingpong_{8 * big}B_half_rtt": t_big, "raw_bandwidth": raw_beta}
    if algorithm == "none":
        compute = compute_time(comm, problem, dim, blocks, algorithm)
        t_round = round_time(comm, blocks)
        t_round_big = round_time(comm, blocks, width=big)
        details.update({"ring_round_8B": t_round, f"ring_round_{8 * big}B": t_round_big})
    else:
        # per round of the method's own iterations over rings on quadratics (any
        # payload width), compute taken out: (t_iter(w) - calls * compute(w)) / rounds
        # at w = 1 and w = big, on the directed ring (one message per node) and, with
        # three or more ranks, the bidirectional ring (two); all of it, and the compute
        # of the profile's problem, measured in turns
        rings = [((1,), 1), ((1,), big)]
        if comm.Get_size() >= 3:
            rings += [((1, -1), 1), ((1, -1), big)]
        steppers = [ring_stepper(comm, algorithm, "quadratic", w, hops) for hops, w in rings]
        rounds, calls = steppers[0][1], steppers[0][2]
        if rounds < 1:
            raise ValueError(f"calibrate: algorithm {algorithm!r} made no gossip round "
                             f"per iteration; use --algorithm none")
        cases = [("quadratic", 1), ("quadratic", big)]
        if (problem, int(dim)) not in cases:
            cases.append((problem, int(dim)))
        comps = [compute_stepper(comm, prob, w, algorithm) for prob, w in cases]
        times = _interleaved([st[0] for st in steppers] + [c[0] for c in comps], comm,
                             blocks)
        c_of = {case: t / c[1] for case, t, c in zip(cases, times[len(rings):], comps)}
        compute = c_of[(problem, int(dim))]
        per_round = [(t - calls * c_of[("quadratic", w)]) / rounds
                     for t, (_, w) in zip(times, rings)]
        for (hops, w), t in zip(rings, times):
            details[f"ring{len(hops)}_iteration_{8 * w}B"] = t
        details["rounds_per_iteration"] = rounds
        if len(rings) == 4:
            model, split = _split_local(per_round, big)
            details.update(split)
            if model is not None:
                details["compute_of"] = f"{algorithm} on {problem} d={dim}"
                return model.replace(name=name, compute=compute), details
        t_round, t_round_big = per_round[:2]
    beta = 8.0 * (big - 1) / max(t_round_big - t_round, 1e-12)
    overhead = max(0.0, t_round - alpha - 8.0 / beta)
    model = CostModel(name=name, latency=alpha, bandwidth=beta, compute=compute,
                      overhead=overhead, serialize="sender")
    details["compute_of"] = f"{algorithm} on {problem} d={dim}"
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

"""Cost model vs measured wall time of real MPI runs (issue 17).

    mpiexec -n 2 python -m mpi4py benchmarks/bench_costmodel.py [--profile P.toml]
    mpiexec -n 4 python -m mpi4py benchmarks/bench_costmodel.py [--quick]

One node per rank (so that every node-level message of the model is a real MPI message):
Push-Pull on the quadratic problem (H_i = I) with payload d, on every graph of
``--graphs`` that has a distinct pattern at this n (2 ranks: the 2-node ring; 4 ranks:
the directed ring, the exponential graph, the star and the complete graph). For each
(graph, d):

- the profile comes from ``--profile`` (written by ``python -m decopt.calibrate``; its
  ``compute`` replaced by :func:`decopt.calibrate.compute_time` for this d, because the
  gradient's cost depends on the problem) or, when absent, is measured with
  :func:`decopt.calibrate.calibrate` at the start; with ``--recalibrate`` it is measured
  again right before every run by ``calibrate(dim=d)``, so that calibration and run see
  the same load on a shared machine. The calibration times Push-Pull iterations over
  rings only (the directed ring and, with 3+ ranks, the bidirectional ring): the
  exponential graph, the star and the complete graph are predictions for graphs the
  calibration never ran;
- ``decopt.run(..., backend="mpi", cost_model=profile)`` runs ``--steps`` iterations
  (logging only at the start and the end); predicted = the run's last ``sim_time``,
  measured = its wall time (the slowest rank's), both from one and the same run; of
  ``--repeats`` such (calibration, run) pairs the median-ratio one is shown.

The table reports predicted, measured and predicted / measured (target: within 0.75-1.25).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from mpi4py import MPI

import decopt
import topologies as tp
from decopt import costmodel
from decopt.calibrate import calibrate, compute_time

COMM = MPI.COMM_WORLD
RANK, SIZE = COMM.Get_rank(), COMM.Get_size()


def graphs(n: int, names):
    """Distinct graphs of the list at n nodes (by edge pattern)."""
    make = {"ring": tp.directed_ring, "exp": tp.exponential, "star": tp.star,
            "complete": tp.complete}
    out, seen = [], set()
    for name in names:
        G = make[name](n)
        key = tuple(sorted(G.edges()))
        if key not in seen:
            seen.add(key)
            out.append((name, G))
    return out


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--profile", default=None, help="profile TOML (default: calibrate now)")
    p.add_argument("--dims", default="10,10000,100000")
    p.add_argument("--graphs", default="ring,exp,star,complete")
    p.add_argument("--steps", type=int, default=0,
                   help="iterations per run (default: about 1 s of predicted time)")
    p.add_argument("--repeats", type=int, default=3, help="runs per case (median ratio)")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--recalibrate", action="store_true",
                   help="measure the network part again before every case")
    p.add_argument("--calib-repeats", type=int, default=5,
                   help="with --recalibrate: calibration blocks (3 x this many) per case")
    p.add_argument("--payload-big", action="store_true",
                   help="with --recalibrate: measure the bandwidth at the case's payload "
                        "(max(d, 1024) floats per message) instead of 2^17")
    args = p.parse_args(argv)
    dims = [int(v) for v in args.dims.split(",")]
    if args.quick:
        dims = dims[:2]
    if args.profile:
        base = costmodel.load(args.profile)
    else:
        base, _ = calibrate(COMM, name="measured", big=2**17)
    load = os.getloadavg()[0]
    if RANK == 0:
        print(f"ranks={SIZE}  profile: latency {base.latency * 1e6:.2f} us, bandwidth "
              f"{base.bandwidth / 1e9:.3f} GB/s, overhead {base.overhead * 1e6:.2f} us/round; "
              f"load average at start {load:.2f} on {os.cpu_count()} cores")
        print(f"{'graph':<9}{'maxdeg':>7}{'d':>8}{'steps':>7}{'alpha us':>9}{'GB/s':>7}"
              f"{'o us':>7}{'loc GB/s':>9}{'compute us':>11}{'predicted s':>13}"
              f"{'measured s':>12}{'ratio':>8}")
    rows = []
    for name, G in graphs(SIZE, args.graphs.split(",")):
        deg = max(d for _, d in G.out_degree())
        for d in dims:
            prob = decopt.problems.quadratic(n=SIZE, dim=d, seed=0)
            model = base.replace(compute=compute_time(COMM, "quadratic", d, 3))
            steps = args.steps
            if not steps:   # about 1 s predicted (0.3 s quick)
                probe = decopt.run("push_pull", prob, G, steps=20, step_size=0.1,
                                   backend="mpi", log_every=20, cost_model=model)
                per = COMM.bcast(probe.history["sim_time"][-1] / 21 if RANK == 0 else None)
                steps = int(np.clip((0.3 if args.quick else 1.0) / per, 20, 20000))
            ratios, preds, meas, models = [], [], [], []
            for _ in range(args.repeats):
                if args.recalibrate and not args.profile:
                    model, _ = calibrate(COMM, dim=d, name="measured",
                                         repeats=args.calib_repeats,
                                         big=max(d, 2**10) if args.payload_big else 2**17)
                    # (--payload-big is what decopt.calibrate does by default since
                    # these measurements; without it, the former fixed 2^17)
                COMM.Barrier()
                res = decopt.run("push_pull", prob, G, steps=steps, step_size=0.1,
                                 backend="mpi", log_every=steps, cost_model=model)
                wall = COMM.allreduce(res.wall_time, op=MPI.MAX)
                if RANK == 0:
                    pred = float(res.history["sim_time"][-1])
                    preds.append(pred)
                    meas.append(wall)
                    ratios.append(pred / wall)
                    models.append(model)
            if RANK == 0:
                i = int(np.argsort(ratios)[len(ratios) // 2])
                rows.append((name, deg, d, steps, preds[i], meas[i], ratios[i]))
                model = models[i]
                print(f"{name:<9}{deg:>7}{d:>8}{steps:>7}{model.latency * 1e6:>9.2f}"
                      f"{model.bandwidth / 1e9:>7.3f}{model.overhead * 1e6:>7.1f}"
                      f"{model.local_bandwidth / 1e9:>9.3f}"
                      f"{model.compute * 1e6:>11.1f}"
                      f"{preds[i]:>13.4f}{meas[i]:>12.4f}{ratios[i]:>8.2f}", flush=True)
    if RANK == 0:
        r = np.array([row[-1] for row in rows])
        inside = np.mean((r >= 0.75) & (r <= 1.25))
        print(f"predicted/measured: min {r.min():.2f}, median {np.median(r):.2f}, max "
              f"{r.max():.2f}; {100 * inside:.0f}% of cases within +-25%; load average at "
              f"end {os.getloadavg()[0]:.2f}; {time.strftime('%H:%M')}")


if __name__ == "__main__":
    main()

"""Failure modes under ``mpiexec -n P python -m mpi4py tests/mpi/fault_driver.py MODE``.

- ``raise``: rank 1 raises while the others wait in a collective (the job must abort).
- ``small``: a 3-node problem on more ranks (the extra ranks host no node): prints the
  largest difference to the in-process run of the same problem, and its counters.
- ``problem``: each rank builds its problem with seed = rank (ValueError naming
  "problem", before any step).
"""

import sys

from mpi4py import MPI

import decopt
import topologies as tp


def main(mode):
    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()
    G = tp.exponential(8)

    def callback(r):
        print(f"logged step {r.step}", flush=True)

    if mode == "raise":
        if rank == 1:
            raise RuntimeError("rank 1 failed on purpose")
        prob = decopt.problems.quadratic(n=8, dim=2, seed=0)
        decopt.run("push_pull", prob, G, steps=10**6, step_size=0.01, backend="mpi",
                   log_every=10**6)
    elif mode == "small":
        prob = decopt.problems.quadratic(n=3, dim=2, seed=0)
        kw = dict(steps=5, step_size=0.01, seed=[0, 1], noise=0.1)
        res = decopt.run("push_pull", prob, tp.exponential(3), backend="mpi",
                         callback=callback, **kw)
        if rank == 0:
            ref = decopt.run("push_pull", prob, tp.exponential(3), **kw)
            print(f"max difference {abs(res.x - ref.x).max():.3g}; counters "
                  f"{'equal' if res.counters == ref.counters else 'differ'}", flush=True)
    elif mode == "problem":
        prob = decopt.problems.quadratic(n=8, dim=2, seed=rank)
        decopt.run("push_pull", prob, G, steps=5, step_size=0.01, backend="mpi",
                   callback=callback)
    else:
        raise ValueError(f"unknown mode {mode!r}")
    print("finished", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])

"""``mpiexec -n P python -m mpi4py mpi_kill_driver.py MODE``: a rank dies mid-run.

- ``kill``: rank 1 sends itself SIGKILL at its 50th gradient evaluation, while the other
  ranks are inside the run's neighbourhood collectives.
- ``raise``: rank 1 raises at its 50th gradient evaluation (for comparison).
"""

import os
import signal
import sys

from mpi4py import MPI

import decopt


def main(mode):
    rank = MPI.COMM_WORLD.Get_rank()
    prob = decopt.problems.quadratic(n=6, dim=2, seed=0)
    if rank == 1:
        calls = [0]
        grads = prob._grads

        def dying(nodes, X):
            calls[0] += 1
            if calls[0] == 50:
                print(f"rank 1 dies ({mode}) at gradient call 50", flush=True)
                if mode == "kill":
                    os.kill(os.getpid(), signal.SIGKILL)
                raise RuntimeError("rank 1 failed on purpose")
            return grads(nodes, X)
        prob._grads = dying
    decopt.run("push_pull", prob, "exp:6", steps=10**7, step_size=0.01, backend="mpi",
               log_every=10**6)
    print("finished", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])

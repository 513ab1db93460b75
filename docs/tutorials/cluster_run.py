"""Tutorial: running on a cluster. Launch with, e.g.,

    mpiexec -n 4 python -m mpi4py cluster_run.py

Every rank runs this same script; the 16 nodes are split over the ranks in contiguous
blocks (4 ranks: 4 nodes each; 2 ranks: 8 each).
"""

import json

from mpi4py import MPI

import decopt
import topologies as tp
from decopt.backends.mpi import block_offsets

comm = MPI.COMM_WORLD
n = 16
first, stop = block_offsets(n, comm.size)[comm.rank:comm.rank + 2]
print(f"rank {comm.rank} of {comm.size} hosts nodes {first}..{stop - 1}", flush=True)

# Every rank builds the same problem and topology (ranks compare checksums of the data).
prob = decopt.problems.logistic(n=n, dim=10, samples_per_node=200, heterogeneity=1.0,
                                seed=0)
G = tp.exponential(n)
res = decopt.run("push_pull", prob, G, steps=300, step_size=0.05, batch_size=20,
                 seed=[0, 1], backend="mpi")

if comm.rank == 0:            # the root holds the gathered iterates and the history
    print("final ||grad f(xbar)|| per seed:", res.final("grad_norm"))
    print("communication rounds:", res.counters["rounds"])
    print("RESULT " + json.dumps({"ranks": comm.size, "x": res.x.tolist(),
                                  "grad_norm": res.final("grad_norm").tolist()}))

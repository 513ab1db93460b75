"""Run the cases of ``fed_cases`` with ``backend="mpi"`` and save them from rank 0.

    mpiexec -n P python -m mpi4py tests/federated/fed_mpi_driver.py OUT.npz
"""

import os
import sys

import numpy as np
from mpi4py import MPI

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fed_cases  # noqa: E402

COUNTERS = ("rounds", "messages", "floats", "uploads", "downloads", "bits")


def main(out_path):
    comm = MPI.COMM_WORLD
    arrays = {}
    for i, c in enumerate(fed_cases.cases()):
        res = fed_cases.run_case(c, "mpi", comm=comm)
        if comm.Get_rank() == 0:
            arrays[f"{i}/x"] = res.x
            arrays[f"{i}/counters"] = np.array([res.counters[k] for k in COUNTERS])
            for key, v in res.history.items():
                if key != "time":
                    arrays[f"{i}/h/{key}"] = np.asarray(v)
    if comm.Get_rank() == 0:
        tmp = out_path + ".tmp.npz"
        np.savez(tmp, **arrays)
        os.replace(tmp, out_path)


if __name__ == "__main__":
    main(sys.argv[1])

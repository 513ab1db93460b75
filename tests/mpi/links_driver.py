"""Run every case of ``links_cases.cases()`` with ``backend="mpi"`` and write rank 0's
results to an .npz (same keys as ``driver.py``).

    mpiexec -n P python -m mpi4py tests/mpi/links_driver.py OUT.npz
"""

import os
import sys

import numpy as np
from mpi4py import MPI

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import links_cases  # noqa: E402


def main(out_path):
    comm = MPI.COMM_WORLD
    todo = links_cases.cases()
    arrays = {"names": np.array([c["name"] for c in todo])}
    for i, c in enumerate(todo):
        res = links_cases.run_case(c, "mpi", comm=comm)
        if comm.Get_rank() == 0:
            arrays[f"{i}/x"] = res.x
            arrays[f"{i}/counters"] = np.array(
                [res.counters[k] for k in ("rounds", "messages", "floats")], dtype=np.int64)
            arrays[f"{i}/success"] = np.array(res.success)
            for key, v in res.history.items():
                if key != "time":
                    arrays[f"{i}/h/{key}"] = np.asarray(v)
    if comm.Get_rank() == 0:
        tmp = out_path + ".tmp.npz"
        np.savez(tmp, **arrays)
        os.replace(tmp, out_path)


if __name__ == "__main__":
    main(sys.argv[1])

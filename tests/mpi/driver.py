"""Run the cases of ``mpi_cases.cases(P)`` with ``backend="mpi"`` on P ranks and write
the results from rank 0 to an .npz.

    mpiexec -n P python -m mpi4py tests/mpi/driver.py OUT.npz

Keys: ``names`` (the case names, in order), then per case i: ``{i}/x``, ``{i}/counters``
(rounds, messages, floats, bits), ``{i}/success``, ``{i}/h/<metric>`` for every history metric
except wall-clock time, and ``{i}/floats_sent`` (float64 values on the wire, all ranks).
"""

import os
import sys

import numpy as np
from mpi4py import MPI

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpi_cases  # noqa: E402


def main(out_path):
    comm = MPI.COMM_WORLD
    todo = mpi_cases.cases(comm.Get_size())
    arrays = {"names": np.array([c["name"] for c in todo])}
    for i, c in enumerate(todo):
        if c["skip"]:
            continue
        res = mpi_cases.run_case(c, "mpi", comm=comm)
        if comm.Get_rank() == 0:
            arrays[f"{i}/x"] = res.x
            arrays[f"{i}/counters"] = np.array(
                [res.counters[k] for k in ("rounds", "messages", "floats", "bits")], dtype=np.int64)
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

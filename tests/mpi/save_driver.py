"""What every MPI test driver does: run a list of cases with ``backend="mpi"`` and
write rank 0's results to an .npz, atomically (a temporary file, then a rename).

Keys: ``names`` (the case names, in order), then per case i: ``{i}/x``,
``{i}/counters`` (the named counters, in the order given), ``{i}/success`` and
``{i}/h/<metric>`` for every history metric except wall-clock time. Cases with a true
``"skip"`` are left out (their index stays free).
"""

import os

import numpy as np
from mpi4py import MPI


def run_and_save(out_path, todo, run_case, counters, comm=None):
    """``run_case(case, "mpi", comm=comm)`` for every case of ``todo``; save on rank 0."""
    comm = MPI.COMM_WORLD if comm is None else comm
    arrays = {"names": np.array([c["name"] for c in todo])}
    for i, c in enumerate(todo):
        if c.get("skip"):
            continue
        res = run_case(c, "mpi", comm=comm)
        if comm.Get_rank() == 0:
            arrays[f"{i}/x"] = res.x
            arrays[f"{i}/counters"] = np.array([res.counters[k] for k in counters],
                                               dtype=np.int64)
            arrays[f"{i}/success"] = np.array(res.success)
            for key, v in res.history.items():
                if key != "time":
                    arrays[f"{i}/h/{key}"] = np.asarray(v)
    if comm.Get_rank() == 0:
        tmp = out_path + ".tmp.npz"
        np.savez(tmp, **arrays)
        os.replace(tmp, out_path)
    return arrays

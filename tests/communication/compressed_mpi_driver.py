"""Run the compressed cases of ``test_compressed_mpi.cases()`` with ``backend="mpi"``
and write rank 0's results to an .npz.

    mpiexec -n P python -m mpi4py tests/communication/compressed_mpi_driver.py OUT.npz

Keys per case i: ``{i}/x``, ``{i}/counters`` (rounds, messages, floats, bits),
``{i}/bits`` (the history column).
"""

import importlib.util
import os
import sys

import numpy as np
from mpi4py import MPI

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "compressed_cases", os.path.join(HERE, "compressed_cases.py"))
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)


def main(out_path):
    comm = MPI.COMM_WORLD
    arrays = {}
    for i, c in enumerate(cases.cases()):
        res = cases.run_case(c, "mpi", comm=comm)
        if comm.Get_rank() == 0:
            arrays[f"{i}/x"] = res.x
            arrays[f"{i}/counters"] = np.array(
                [res.counters[k] for k in ("rounds", "messages", "floats", "bits")])
            arrays[f"{i}/bits"] = np.asarray(res.history["bits"])
            arrays[f"{i}/name"] = np.array(c["name"])
    if comm.Get_rank() == 0:
        tmp = out_path + ".tmp.npz"
        np.savez(tmp, **arrays)
        os.replace(tmp, out_path)


if __name__ == "__main__":
    main(sys.argv[1])

"""``mpiexec -n P python -m mpi4py tests/costmodel/sim_time_driver.py OUT.npz``: every case
of :mod:`sim_time_cases` on the MPI backend, with the real clock and with the broken
rank-local clock; rank 0 writes ``{name}`` and ``{name}/broken`` sim_time arrays."""

import os
import sys

import numpy as np
from mpi4py import MPI

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sim_time_cases as sc  # noqa: E402


def main(out):
    comm = MPI.COMM_WORLD
    arrays = {}
    for c in sc.cases():
        for broken in (False, True):
            res = sc.run_case(c, "mpi", comm=comm, broken=broken)
            if comm.Get_rank() == 0:
                arrays[c["name"] + ("/broken" if broken else "")] = sc.sim_times(res)
    if comm.Get_rank() == 0:
        np.savez(out + ".tmp.npz", **arrays)
        os.replace(out + ".tmp.npz", out)


if __name__ == "__main__":
    main(sys.argv[1])

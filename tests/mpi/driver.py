"""Run the cases of ``mpi_cases.cases(P)`` with ``backend="mpi"`` on P ranks and write
the results from rank 0 to an .npz.

    mpiexec -n P python -m mpi4py tests/mpi/driver.py OUT.npz

Keys: those of :mod:`save_driver`, with counters (rounds, messages, floats, bits).
"""

import os
import sys

from mpi4py import MPI

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpi_cases  # noqa: E402
from save_driver import run_and_save  # noqa: E402


def main(out_path):
    comm = MPI.COMM_WORLD
    run_and_save(out_path, mpi_cases.cases(comm.Get_size()), mpi_cases.run_case,
                 ("rounds", "messages", "floats", "bits"), comm)


if __name__ == "__main__":
    main(sys.argv[1])

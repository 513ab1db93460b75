"""Run the cases of ``fed_cases`` with ``backend="mpi"`` and save them from rank 0
(keys of ``tests/mpi/save_driver.py``).

    mpiexec -n P python -m mpi4py tests/federated/fed_mpi_driver.py OUT.npz
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(HERE), "mpi")]
import fed_cases  # noqa: E402
from save_driver import run_and_save  # noqa: E402

COUNTERS = ("rounds", "messages", "floats", "uploads", "downloads", "bits")


def main(out_path):
    run_and_save(out_path, fed_cases.cases(), fed_cases.run_case, COUNTERS)


if __name__ == "__main__":
    main(sys.argv[1])

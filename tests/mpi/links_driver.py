"""Run every case of ``links_cases.cases()`` with ``backend="mpi"`` and write rank 0's
results to an .npz (same keys as ``driver.py``).

    mpiexec -n P python -m mpi4py tests/mpi/links_driver.py OUT.npz
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import links_cases  # noqa: E402
from save_driver import run_and_save  # noqa: E402


def main(out_path):
    run_and_save(out_path, links_cases.cases(), links_cases.run_case,
                 ("rounds", "messages", "floats"))


if __name__ == "__main__":
    main(sys.argv[1])

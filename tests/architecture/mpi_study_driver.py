"""Run a study with ``decopt.study.run_study`` under mpiexec WITHOUT passing ``comm``:
the study must pick ``MPI.COMM_WORLD`` itself (issue 11). Usage:
``mpiexec -n P python -m mpi4py mpi_study_driver.py STUDY.toml OUT``."""

import sys

from decopt import study as st

s = st.load_study(sys.argv[1])
outcome = st.run_study(s, sys.argv[2], backend="auto", echo=None)
if outcome.summary is not None:
    print("summary", outcome.summary)

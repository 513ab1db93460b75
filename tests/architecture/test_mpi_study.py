"""``study.run_study`` under mpiexec picks the communicator itself (before: KeyError 'step'
in Result.save on rank 1 unless ``comm=`` was passed), gives the in-process numbers, and
a host with more ranks than cores gets a one-line warning from rank 0."""

from __future__ import annotations

import csv
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from decopt import study as st

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TIMEOUT = 300
RTOL = 1e-12     # same iterates up to round-off (push sums grouped by rank)


def mpiexec_path():
    local = Path(sys.executable).parent / "mpiexec"
    return str(local) if local.exists() else shutil.which("mpiexec")


pytestmark = [pytest.mark.mpi,
              pytest.mark.skipif(importlib.util.find_spec("mpi4py") is None
                                 or mpiexec_path() is None, reason="needs mpi4py and mpiexec")]

STUDY = """
[study]
name = "mpistudy"
steps = 30
log_every = 10
[problem]
name = "quadratic"
dim = 2
[topology]
spec = "exp:6"
[[algorithm]]
name = "push_pull"
step_size = 0.05
"""


def test_run_study_picks_the_communicator(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text(STUDY)
    ranks = 3
    cmd = ["timeout", str(TIMEOUT), mpiexec_path(), "-n", str(ranks), sys.executable, "-m",
           "mpi4py", str(HERE / "mpi_study_driver.py"), str(f), str(tmp_path / "mpi")]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=TIMEOUT + 30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("mpiexec timed out")
    assert proc.returncode == 0, err[-3000:]
    assert out.count("summary.csv") == 1             # rank 0 only writes the summary
    warned = [ln for ln in err.splitlines() if "decopt: warning" in ln]
    if ranks > (os.cpu_count() or 1):
        assert len(warned) == 1 and f"{ranks} MPI ranks" in warned[0], err
    else:
        assert not warned, err
    local = st.run_study(st.load_study(f), tmp_path / "local", backend="local", echo=None)
    rows_l = list(csv.DictReader(open(local.summary)))
    rows_m = list(csv.DictReader(open(tmp_path / "mpi" / "mpistudy" / "summary.csv")))
    assert len(rows_l) == len(rows_m) == 1
    for k in ("grad_norm", "loss", "dist"):
        a, b = float(rows_l[0][k]), float(rows_m[0][k])
        assert abs(a - b) <= RTOL * abs(a), (k, a, b)

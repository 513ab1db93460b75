"""A failing rank ends the job; bad launches fail with clear messages, never hang."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("mpi_launch", HERE / "test_mpi_backend.py")
_launch_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_launch_mod)
launch = _launch_mod.launch

pytestmark = [pytest.mark.mpi,
              pytest.mark.skipif(not _launch_mod.HAVE_MPI, reason="needs mpi4py and mpiexec "
                                 "(pip install -e '.[mpi]')")]
DRIVER = HERE / "fault_driver.py"


def test_crashed_rank_aborts_the_job():
    rc, out, err, secs = launch(3, DRIVER, "raise", timeout=60)
    assert rc != 0
    assert "rank 1 failed on purpose" in err
    assert secs < 30, f"abort took {secs:.1f} s"
    assert "finished" not in out


def test_fewer_nodes_than_ranks():
    """n = 3 on 4 ranks: rank 3 hosts no node and only joins the collectives; the run
    gives the in-process numbers (1e-12: round-off of the same products) and counters."""
    rc, out, err, _ = launch(4, DRIVER, "small", timeout=60)
    assert rc == 0, err
    line = next(ln for ln in out.splitlines() if ln.startswith("max difference"))
    assert float(line.split()[2].rstrip(";")) <= 1e-12, line
    assert line.endswith("counters equal"), line
    assert "finished" in out


def test_ranks_with_different_problems():
    rc, out, err, _ = launch(3, DRIVER, "problem", timeout=60)
    assert rc != 0
    # the run-config digest (issue 13) catches it first, naming the key and the ranks
    assert "ValueError: MPI ranks disagree on the run configuration: problem_params" in err
    assert "'seed': 0} on rank 0 but" in err and "on rank 1" in err
    assert "logged step" not in out       # raised before any step (even step 0)

"""sim_time does not depend on the backend: 2 MPI ranks give the in-process numbers.

One ``mpiexec -n 2 python -m mpi4py tests/costmodel/sim_time_driver.py`` launch (timeout
120 s) runs every case of :mod:`sim_time_cases` (batched seeds with random stragglers,
multi-step gossip with jitter, a persistent straggler) and, as the negative control, the
same cases with a broken clock that sees only the rows its rank hosts: that one must
differ from the in-process value, which shows the comparison can fail. Tolerance: 1e-12
relative (the same sums in the same order; the draws are counter-based).
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "mpi"))
from test_mpi_backend import HAVE_MPI, launch  # noqa: E402

sys.path.insert(0, str(HERE))
import sim_time_cases as sc  # noqa: E402

RTOL = 1e-12
pytestmark = [pytest.mark.mpi,
              pytest.mark.skipif(not HAVE_MPI, reason="needs mpi4py and mpiexec")]
NAMES = [c["name"] for c in sc.cases()]


@functools.lru_cache(maxsize=None)
def mpi_results(tmpdir):
    out = Path(tmpdir) / "sim_time_2.npz"
    rc, _, err, _ = launch(2, HERE / "sim_time_driver.py", out, timeout=120)
    if rc != 0:
        pytest.fail(f"sim_time driver on 2 ranks exited with {rc}:\n{err[-4000:]}")
    with np.load(out) as z:
        return {k: z[k] for k in z.files}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return mpi_results(str(tmp_path_factory.mktemp("simtime")))


@pytest.mark.parametrize("name", NAMES)
def test_same_sim_time_on_two_ranks(results, name):
    case = next(c for c in sc.cases() if c["name"] == name)
    local = sc.sim_times(sc.run_case(case, "local"))
    assert np.all(local[-1] > 0)
    np.testing.assert_allclose(results[name], local, rtol=RTOL)


@pytest.mark.parametrize("name", NAMES)
def test_negative_control_rank_local_clock_differs(results, name):
    case = next(c for c in sc.cases() if c["name"] == name)
    local = sc.sim_times(sc.run_case(case, "local"))
    # in-process the broken clock sees every row, so it agrees there ...
    np.testing.assert_allclose(sc.sim_times(sc.run_case(case, "local", broken=True)),
                               local, rtol=RTOL)
    # ... and under MPI it does not: the comparison above can fail
    assert not np.allclose(results[name + "/broken"], local, rtol=1e-6)


def test_calibrate_writes_a_loadable_profile(tmp_path):
    """``python -m decopt.calibrate`` on 2 ranks writes a profile that load() accepts,
    with positive latency, bandwidth and compute (timing values are not compared: they
    depend on the machine's load)."""
    from decopt import costmodel
    out = tmp_path / "here.toml"
    rc, stdout, err, _ = launch(2, "-m", "decopt.calibrate", "--out", out, "--repeats", "1",
                                "--big", "4096", timeout=120)
    assert rc == 0, err[-3000:]
    m = costmodel.load(out)
    assert m.name == "here" and m.serialize == "sender"
    assert m.latency > 0 and 0 < m.bandwidth < float("inf") and m.compute > 0
    assert "latency" in stdout


def test_calibrate_on_three_ranks_uses_both_rings(tmp_path):
    """With three ranks calibrate times the bidirectional ring too (two messages per node)
    and records the split in the profile's comment; the profile loads with a positive
    local bandwidth (finite, or inf when the fit fell back). Values are not compared
    (they depend on the load); the fit's arithmetic is tested in test_calibrate_fit."""
    from decopt import costmodel
    out = tmp_path / "three.toml"
    rc, _, err, _ = launch(3, "-m", "decopt.calibrate", "--out", out, "--repeats", "1",
                           "--dim", "2048", timeout=120)
    assert rc == 0, err[-3000:]
    text = out.read_text()
    assert "ring2_iteration_8B=" in text and "message_16384B=" in text
    m = costmodel.load(out)
    assert m.local_bandwidth > 0 and m.bandwidth > 0 and m.compute > 0


def test_calibrate_needs_two_ranks(tmp_path):
    rc, _, err, _ = launch(1, "-m", "decopt.calibrate", "--out", tmp_path / "x.toml",
                           timeout=120)
    assert rc == 2 and "at least 2 MPI ranks" in err
    assert not (tmp_path / "x.toml").exists()


@pytest.mark.parametrize("args, message", [(["--big", "1"], "big must be an int >= 2"),
                                           (["--algorithm", "nope"], "unknown algorithm"),
                                           (["--dim", "0"], "--dim must be >= 1")])
def test_calibrate_bad_arguments_exit_2_with_the_value(tmp_path, args, message):
    rc, _, err, _ = launch(2, "-m", "decopt.calibrate", "--out", tmp_path / "x.toml",
                           "--repeats", "1", *args, timeout=120)
    assert rc == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "x.toml").exists()

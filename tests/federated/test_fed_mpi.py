"""Federated and local-step methods: MPI (2 and 3 ranks) against the local backend.

One ``mpiexec -n P python -m mpi4py tests/federated/fed_mpi_driver.py OUT.npz`` launch
per rank count runs every case of :mod:`fed_cases` (every new algorithm, deterministic
and stochastic gradients, client sampling, batched seeds, local steps); the iterates,
the history and the counters must match ``backend="local"``.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TIMEOUT = 300           # seconds per mpiexec launch (2 shared cores)
RTOL = 1e-12            # relative to the largest magnitude of the compared quantity

_spec = importlib.util.spec_from_file_location("fed_cases", HERE / "fed_cases.py")
fed_cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fed_cases)
CASES = fed_cases.cases()
COUNTERS = ("rounds", "messages", "floats", "uploads", "downloads", "bits")


def mpiexec_path():
    local = Path(sys.executable).parent / "mpiexec"
    return str(local) if local.exists() else shutil.which("mpiexec")


HAVE_MPI = importlib.util.find_spec("mpi4py") is not None and mpiexec_path() is not None
pytestmark = [pytest.mark.mpi,
              pytest.mark.skipif(not HAVE_MPI, reason="needs mpi4py and mpiexec")]


@functools.lru_cache(maxsize=None)
def mpi_results(nranks, tmpdir):
    out = Path(tmpdir) / f"fed_{nranks}.npz"
    cmd = [mpiexec_path(), "-n", str(nranks), sys.executable, "-m", "mpi4py",
           str(HERE / "fed_mpi_driver.py"), str(out)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"{' '.join(cmd)} did not finish within {TIMEOUT} s")
    if proc.returncode != 0:
        pytest.fail(f"driver on {nranks} ranks exited with {proc.returncode}:\n{err[-4000:]}")
    with np.load(out) as z:
        return {k: z[k] for k in z.files}


@functools.lru_cache(maxsize=None)
def local_result(i):
    return fed_cases.run_case(CASES[i], "local")


def _close(a, b, what):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape, (what, a.shape, b.shape)
    scale = max(1.0, np.nanmax(np.abs(b)) if b.size else 1.0)
    assert np.allclose(a, b, rtol=0, atol=RTOL * scale, equal_nan=True), (
        what, np.nanmax(np.abs(a - b)))


@pytest.fixture(scope="module")
def tmpdir_str(tmp_path_factory):
    return str(tmp_path_factory.mktemp("fed_mpi"))


@pytest.mark.parametrize("nranks", (2, 3))
def test_mpi_matches_local(nranks, tmpdir_str):
    got = mpi_results(nranks, tmpdir_str)
    for i, c in enumerate(CASES):
        ref = local_result(i)
        _close(got[f"{i}/x"], ref.x, (c["name"], "x"))
        # counters are node-level: identical integers on both backends
        np.testing.assert_array_equal(got[f"{i}/counters"],
                                      [ref.counters[k] for k in COUNTERS], c["name"])
        for key, v in ref.history.items():
            if key != "time":
                _close(got[f"{i}/h/{key}"], v, (c["name"], key))

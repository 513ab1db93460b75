"""The MPI backend against the local backend: same iterates, metrics and counters.

One ``mpiexec -n P python -m mpi4py tests/mpi/driver.py OUT.npz`` launch per rank count
P in 1..4 runs every case of :mod:`mpi_cases` (all algorithms x several digraphs,
deterministic and stochastic gradients, R = 3, one-peer exponential, batched seeds);
each case is then compared here with ``decopt.run(..., backend="local")``.
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
RANKS = (1, 2, 3, 4)
TIMEOUT = 120           # seconds per mpiexec launch
RTOL = 1e-12            # relative to the largest magnitude of the compared quantity

_spec = importlib.util.spec_from_file_location("mpi_cases", HERE / "mpi_cases.py")
mpi_cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mpi_cases)


def mpiexec_path():
    """``mpiexec`` next to this Python (the mpich wheel's), else on PATH, else None."""
    local = Path(sys.executable).parent / "mpiexec"
    return str(local) if local.exists() else shutil.which("mpiexec")


HAVE_MPI = importlib.util.find_spec("mpi4py") is not None and mpiexec_path() is not None
pytestmark = [pytest.mark.mpi,
              pytest.mark.skipif(not HAVE_MPI, reason="needs mpi4py and mpiexec "
                                 "(pip install -e '.[mpi]')")]


def launch(nranks, script, *args, timeout=TIMEOUT):
    """Run ``mpiexec -n P python -m mpi4py script args``; returns (returncode, stdout,
    stderr, seconds). The whole process group is killed on timeout."""
    import time
    cmd = [mpiexec_path(), "-n", str(nranks), sys.executable, "-m", "mpi4py", str(script),
           *map(str, args)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"{' '.join(cmd)} did not finish within {timeout} s (hang?)\n{err[-3000:]}")
    return proc.returncode, out, err, time.perf_counter() - t0


@functools.lru_cache(maxsize=None)
def mpi_results(nranks, tmpdir):
    out = Path(tmpdir) / f"mpi_{nranks}.npz"
    rc, _, err, _ = launch(nranks, HERE / "driver.py", out)
    if rc != 0:
        pytest.fail(f"driver on {nranks} ranks exited with {rc}:\n{err[-4000:]}")
    with np.load(out) as z:
        return {k: z[k] for k in z.files}


@functools.lru_cache(maxsize=None)
def local_result(name):
    case = next(c for c in ALL_CASES if c["name"] == name)
    return mpi_cases.run_case(case, "local")


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("mpi"))


def _close(got, want, what, scale=0.0):
    """max |got - want| <= RTOL * max(max |want|, scale)."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    scale = max(np.max(np.abs(want), initial=0.0), scale)
    err = np.max(np.abs(got - want), initial=0.0)
    assert err <= RTOL * scale, f"{what}: max |mpi - local| = {err:.3g} > {RTOL:g} * {scale:.3g}"


ALL_CASES = [c for P in RANKS for c in mpi_cases.cases(P)]
PARAMS = [pytest.param(P, i, c, id=f"P{P}-{c['name']}")
          for P in RANKS for i, c in enumerate(mpi_cases.cases(P))]


@pytest.mark.parametrize("nranks, index, case", PARAMS)
def test_mpi_equals_local(nranks, index, case, results_dir):
    if case["skip"]:
        pytest.skip(case["skip"])
    z = mpi_results(nranks, results_dir)
    assert str(z["names"][index]) == case["name"], "driver and test disagree on the cases"
    ref = local_result(case["name"])
    assert bool(z[f"{index}/success"]) == ref.success
    _close(z[f"{index}/x"], ref.x, "final iterates")
    counters = dict(zip(("rounds", "messages", "floats", "bits"), z[f"{index}/counters"].tolist()))
    # the driver records the gossip counters (the server counters uploads, downloads and
    # bits are compared through the history below and in tests/federated)
    assert counters == {k: ref.counters[k] for k in counters}, "communication counters differ"
    keys = {k.split("/h/")[1] for k in z if k.startswith(f"{index}/h/")}
    assert keys == set(ref.history) - {"time"}
    for key in keys:
        got, want = z[f"{index}/h/{key}"], ref.history[key]
        if key in ("step", "rounds", "messages", "floats", "bits", "grad_evals"):
            np.testing.assert_array_equal(got, want, err_msg=f"history {key!r}")
        elif key == "consensus":
            # a squared distance: once consensus is reached it sits at round-off squared
            # (~1e-33), so it is compared relative to the squared scale of the iterates
            _close(got, want, "history 'consensus'",
                   scale=float(np.mean(np.sum(ref.x ** 2, axis=-1))))
        else:
            _close(got, want, f"history {key!r}")


@pytest.mark.parametrize("nranks", RANKS)
def test_exchange_on_hand_built_matrices(nranks):
    """pull (bit for bit) and push (round-off) on random sparse matrices, periodic
    matrices, R > 1, packed batched arrays, gather, and the n < ranks and
    differing-matrices errors."""
    rc, out, err, _ = launch(nranks, HERE / "exchange_driver.py")
    assert rc == 0, err[-4000:]
    assert "exchange OK" in out

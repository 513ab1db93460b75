"""Issue 11, done-when: a heavy-ball Push-Pull written as a user module OUTSIDE the
repository runs through ``decopt.run`` (by registered name, ``mg_`` name and import
path), through a TOML study run by ``decopt run study.toml`` (``rounds = 3``, an ``mg_``
name found through the ``decopt.algorithms`` entry point, and an import path), and the
same study under ``mpiexec -n 2`` gives summaries equal to the in-process ones to 1e-12.

Every command runs in a fresh process whose working directory is a temporary directory
outside the repository, with PYTHONPATH = (repository, user directory), as a user with
an installed decopt and their own module would.
"""

from __future__ import annotations

import csv
import importlib.util
import math
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from . import user_plugin

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 300           # seconds per command (the machine may be loaded)
RTOL = 1e-12            # summaries in-process vs MPI: same iterates up to round-off


def _env(user_dir):
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(user_dir)]))


def _run(cmd, user_dir, timeout=TIMEOUT):
    proc = subprocess.Popen(cmd, cwd=user_dir, env=_env(user_dir), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"timed out after {timeout}s: {' '.join(cmd)}\n{err[-2000:]}")
    return proc.returncode, out, err


@pytest.fixture(scope="module")
def user_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("user")
    assert ROOT not in d.resolve().parents
    return user_plugin.write(d)


SCRIPT = r"""
import numpy as np
import decopt, topologies as tp
import hb_methods
prob = decopt.problems.quadratic(n=6, dim=3, seed=0)
kw = dict(steps=40, step_size=0.05, seed=[0, 1], log_every=10)
a = decopt.run("hb_push_pull", prob, "exp:6", **kw)
b = decopt.run("hb_methods:HBPushPull", prob, tp.exponential(6), **kw)
c = decopt.run("mg_hb_push_pull", prob, "exp:6", rounds=3, **kw)
d = decopt.run(hb_methods.HBPushPull(0.05), prob, "exp:6", rounds=3, steps=40,
               seed=[0, 1], log_every=10)
e = decopt.run("push_pull", prob, "exp:6", **kw)            # beta = 0: plain Push-Pull
f = decopt.run("hb_push_pull", prob, "exp:6", options={"beta": 0.0}, **kw)
assert a.success and c.success, (a.message, c.message)
assert a.config["algorithm"] == "hb_push_pull"
assert np.array_equal(a.x, b.x)
assert np.array_equal(c.x, d.x)
assert c.counters["rounds"] == 3 * 2 * 40                  # R x mixings x steps
assert np.array_equal(e.x, f.x)                            # the control: beta = 0
assert not np.array_equal(a.x, e.x)                        # momentum changes the numbers
g = np.asarray(c.history["grad_norm"])
assert (g[-1] < 0.1 * g[0]).all(), g                      # it does optimise
print("ok", g[-1])
"""


def test_decopt_run_with_a_user_module(user_dir):
    rc, out, err = _run([sys.executable, "-c", SCRIPT], user_dir)
    assert rc == 0, err[-3000:]
    assert out.startswith("ok")


def test_bad_names_say_how_to_register(user_dir):
    script = ("import decopt\n"
              "for name in ['hb_push_pul', 'mg_nothing', 'hb_methods:Nope', 'no_mod:X']:\n"
              "    try:\n"
              "        decopt.algorithms.make(name, 0.1)\n"
              "    except ValueError as e:\n"
              "        print(e)\n")
    rc, out, err = _run([sys.executable, "-c", script], user_dir)
    assert rc == 0, err
    lines = out.splitlines()
    assert "register_algorithm" in lines[0] and "hb_push_pull" in lines[0]
    assert "unknown algorithm 'mg_nothing'" in lines[1]
    assert "module 'hb_methods' has no attribute 'Nope'" in lines[2]
    assert "cannot import module 'no_mod'" in lines[3]


def _summary(path):
    rows = list(csv.DictReader(open(path)))
    return {(r["run"], r["seed"]): r for r in rows}


def _study(user_dir, out, launcher=()):
    cmd = [*launcher, sys.executable, "-m", "mpi4py" if launcher else "decopt"]
    cmd += (["-m", "decopt"] if launcher else []) + ["run", "study.toml", "--out", out,
                                                     "--quiet"]
    if launcher:
        cmd += ["--backend", "mpi"]
    rc, stdout, err = _run(cmd, user_dir)
    assert rc == 0, (stdout + err)[-3000:]
    return _summary(user_dir / out / "hb" / "summary.csv"), stdout


def test_study_of_a_user_algorithm(user_dir):
    summary, out = _study(user_dir, "res_local")
    assert {r["algorithm"] for r in summary.values()} == {"mg_hb_push_pull",
                                                           "hb_methods:HBPushPull"}
    assert all(r["success"] == "True" and r["rounds"] == "3" for r in summary.values())
    # 40 iterations x 2 mixings x R = 3
    assert all(r["comm_rounds"] == "240" for r in summary.values())


def mpiexec_path():
    local = Path(sys.executable).parent / "mpiexec"
    return str(local) if local.exists() else shutil.which("mpiexec")


@pytest.mark.mpi
@pytest.mark.skipif(importlib.util.find_spec("mpi4py") is None or mpiexec_path() is None,
                    reason="needs mpi4py and mpiexec (pip install -e '.[mpi]')")
def test_study_of_a_user_algorithm_under_mpi(user_dir):
    local, _ = _study(user_dir, "res_cmp_local")
    mpi, _ = _study(user_dir, "res_mpi", launcher=("timeout", str(TIMEOUT), mpiexec_path(),
                                                   "-n", "2"))
    assert set(local) == set(mpi)
    metrics = ["grad_norm", "grad_norm_pi", "consensus", "loss", "dist", "err_max"]
    for m in metrics:
        # relative to the largest magnitude of the metric over the study (tests/mpi's
        # convention: push sums differ from the local product by a few ulps). consensus
        # is a mean squared distance between iterates of size O(1), which reaches
        # 1e-27 here; its square root is compared on the scale of the iterates (1).
        sq = m == "consensus"
        f = (lambda v: math.sqrt(float(v))) if sq else float
        scale = 1.0 if sq else max(abs(f(r[m])) for r in local.values())
        for key in local:
            a, b = f(local[key][m]), f(mpi[key][m])
            assert abs(a - b) <= RTOL * scale, (key, m, a, b)
    for key in local:
        assert mpi[key]["comm_rounds"] == local[key]["comm_rounds"]
    # run.json records the MPI backend and two ranks
    import json
    d = next(p for p in (user_dir / "res_mpi" / "hb").iterdir() if p.is_dir())
    meta = json.loads((d / "run.json").read_text())["meta"]
    assert meta["backend"] == "MPINetwork" and meta["ranks"] == 2

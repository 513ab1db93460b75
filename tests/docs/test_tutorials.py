"""The code of every tutorial under docs/tutorials/ runs, and does what its text says.

Each script is executed as a user would run it (in a fresh working directory); the
numbers its text quotes are then checked. Tolerances: deterministic runs on quadratics
reach x* to round-off (~1e-15); 1e-10 leaves a wide margin and fails for any biased or
wrongly mixed method (a negative control below shows the check rejecting a broken
variant). The cluster tutorial's MPI run must equal the in-process run to 1e-12 relative
to the largest entry (the backends' documented agreement: push sums are grouped by rank,
a few ulps apart).
"""

import json
import os
import re
import runpy
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import decopt

ROOT = Path(__file__).resolve().parents[2]
TUTORIALS = ROOT / "docs" / "tutorials"
EXACT = 1e-10


@pytest.fixture
def run_tutorial(tmp_path, monkeypatch):
    """Execute docs/tutorials/NAME.py in tmp_path; returns its global namespace. The
    algorithm registry is restored afterwards (the tutorials register names)."""
    saved = dict(decopt.algorithms.ALGORITHMS)
    monkeypatch.chdir(tmp_path)

    def run(name):
        return runpy.run_path(str(TUTORIALS / f"{name}.py"), run_name="__main__")

    yield run
    decopt.algorithms.ALGORITHMS.clear()
    decopt.algorithms.ALGORITHMS.update(saved)


def test_every_tutorial_script_is_shown_in_a_page():
    pages = "".join(p.read_text() for p in TUTORIALS.glob("*.rst"))
    scripts = sorted(p.name for p in TUTORIALS.glob("*.py"))
    assert len(scripts) >= 4
    for name in scripts:
        assert re.search(rf"literalinclude:: {re.escape(name)}", pages), name


def test_own_algorithm(run_tutorial):
    ns = run_tutorial("own_algorithm")
    hb, ab, steps_to = ns["hb"], ns["ab"], ns["steps_to"]
    assert hb.final("err_max") < EXACT and ab.final("err_max") < EXACT
    # the text says momentum reaches 1e-8 in well under half of AB's iterations
    assert steps_to(hb) is not None and steps_to(hb) < 0.5 * steps_to(ab)
    assert ns["same_as_ab"] is True
    assert np.all(np.isfinite(ns["noisy"].final("grad_norm")))
    assert ns["noisy"].success and ns["noisy"].config["rounds"] == 3
    assert "hb_push_pull" in decopt.algorithms.ALGORITHMS
    assert hb.config["algorithm"] == "hb_push_pull"


def test_own_algorithm_negative_control(run_tutorial):
    """A broken heavy-ball Push-Pull (trackers replaced by the raw local gradients, i.e.
    no gradient tracking) keeps a heterogeneity bias: the exactness check rejects it."""
    ns = run_tutorial("own_algorithm")
    HB, State = ns["HBPushPull"], ns["HBState"]

    class Untracked(HB):
        def step(self, s, oracle, net):
            x = net.pull(s.x) - self.alpha * s.g + self.beta * (s.x - s.x_prev)
            g = oracle.grad(x)
            return State(x=x, x_prev=s.x, y=g, g=g)

    import dataclasses
    Untracked = dataclasses.dataclass(frozen=True)(Untracked)
    bad = decopt.run(Untracked(0.5, beta=0.3), ns["prob"], ns["G"], steps=1500)
    assert bad.success and bad.final("err_max") > 1e-3     # a bias (~0.9), not a blow-up
    assert not bad.final("err_max") < EXACT


def test_own_data(run_tutorial, capsys):
    ns = run_tutorial("own_data")
    assert ns["prob"].samples_per_node.tolist() == [5, 17, 40]
    np.testing.assert_allclose(ns["prob"].x_star, ns["x_true"], atol=1e-12)
    assert ns["res"].final("dist") < 1e-8           # interpolating data: exact with SGD
    assert ns["res_logit"].final("grad_norm") < 1e-2
    assert ns["res_own"].final("dist") < EXACT
    assert np.all(ns["res_own_sgd"].final("dist") < 0.2)
    assert "targets[1] (node 1)" in capsys.readouterr().out


def test_own_graph(run_tutorial, tmp_path):
    ns = run_tutorial("own_graph")
    assert ns["G"].graph["labels"] == [101, 102, 103, 104, 105]
    assert ns["res"].final("err_max") < EXACT
    assert ns["res"].config["node_labels"] == [101, 102, 103, 104, 105]
    assert ns["res_w"].final("err_max") < EXACT
    assert ns["order"] == ["Lille", "Lyon", "Nantes", "Paris"]
    assert ns["res_city"].final("err_max") < EXACT
    assert (tmp_path / "results" / "campus").is_dir()


def _mpiexec():
    local = Path(sys.executable).parent / "mpiexec"
    return str(local) if local.exists() else shutil.which("mpiexec")


@pytest.mark.mpi
def test_cluster_tutorial_under_mpiexec(tmp_path):
    import importlib.util
    if importlib.util.find_spec("mpi4py") is None or _mpiexec() is None:
        pytest.fail("the cluster tutorial needs mpi4py and mpiexec (pip install -e '.[mpi]')")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    cmd = ["timeout", "120", _mpiexec(), "-n", "2", sys.executable, "-m", "mpi4py",
           str(TUTORIALS / "cluster_run.py")]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=150)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    assert proc.returncode == 0, err[-2000:]
    assert "rank 0 of 2 hosts nodes 0..7" in out and "rank 1 of 2 hosts nodes 8..15" in out
    line = next(ln for ln in out.splitlines() if ln.startswith("RESULT "))
    got = json.loads(line[len("RESULT "):])
    assert got["ranks"] == 2
    # the same run in-process
    import topologies as tp
    prob = decopt.problems.logistic(n=16, dim=10, samples_per_node=200, heterogeneity=1.0,
                                    seed=0)
    ref = decopt.run("push_pull", prob, tp.exponential(16), steps=300, step_size=0.05,
                     batch_size=20, seed=[0, 1], backend="local")
    x = np.array(got["x"])
    assert np.abs(x - ref.x).max() <= 1e-12 * np.abs(ref.x).max()
    np.testing.assert_allclose(got["grad_norm"], ref.final("grad_norm"), rtol=1e-10)


# --- user guides: communication, federated learning, simulated wall-clock -------------
# Deterministic gradients on quadratics throughout: exact methods reach x* to round-off
# (~1e-14), so EXACT = 1e-10 leaves a wide margin; a biased method stays >= 1e-2 away.


def test_compression_guide(run_tutorial):
    ns = run_tutorial("compression")
    plain, cpp, choco, bits_to = ns["plain"], ns["cpp"], ns["choco"], ns["bits_to"]
    assert plain.final("err_max") < EXACT and cpp.final("err_max") < EXACT
    # the text says CPP needs about six times fewer bits than Push-Pull to reach 1e-6
    assert bits_to(cpp) is not None and bits_to(cpp) < bits_to(plain) / 4
    # CHOCO: same fixed point with and without top-k (to 1e-10), a biased one (~1.28)
    assert ns["gap"] < EXACT
    assert choco["none"].final("err_max") > 0.5
    assert choco["topk:0.3"].history["bits"][-1] < 0.4 * choco["none"].history["bits"][-1]


def test_compression_guide_negative_control(run_tutorial):
    """CPP with the scaled sign operator (biased; CPP's theory covers unbiased
    operators) does not reach x*: the exactness and bits checks above reject it."""
    ns = run_tutorial("compression")
    cpp_biased = decopt.run("cpp", ns["prob"], "exp:16", steps=600, step_size=0.1,
                            compression="sign", options={"gamma": 0.5})
    assert not cpp_biased.final("err_max") < EXACT
    assert ns["bits_to"](cpp_biased) is None


def test_links_guide(run_tutorial):
    ns = run_tutorial("links")
    for name in ("pp", "asleep", "kout"):
        assert ns[name].final("err_max") < EXACT, name
    # the negative control is in the script: GT under the same drops is biased
    assert ns["gt"].final("err_max") > 1e-2
    reliable = 2 * 1500 * 64       # push_pull: 2 mixings x 1500 steps x 64 edges of exp:16
    assert 0.6 * reliable < ns["pp"].history["messages"][-1] < 0.8 * reliable


def test_federated_guide(run_tutorial):
    ns = run_tutorial("federated")
    runs = ns["runs"]
    assert runs["scaffold"].final("err_max") < EXACT
    assert runs["scaffold, half the clients"].final("err_max") < EXACT
    assert runs["fedavg"].final("err_max") > 1e-2                 # client drift
    assert runs["scaffold, half the clients"].history["uploads"][-1] == pytest.approx(
        runs["scaffold"].history["uploads"][-1] / 2, rel=0.01)


def test_federated_guide_negative_control(run_tutorial):
    """SCAFFOLD with its control variates held at zero is FedAvg: it drifts."""
    ns = run_tutorial("federated")
    bad = decopt.run("scaffold", ns["prob"], "exp:16", steps=400, step_size=0.02,
                     local_steps=20, options={"control": False})
    assert not bad.final("err_max") < EXACT


def test_wall_clock_guide(run_tutorial):
    ns = run_tutorial("wall_clock")
    table, time_to = ns["table"], ns["time_to"]
    for profile in ("cluster-1g", "edge"):
        exp, one = table[profile, "exp:64"], table[profile, "onepeer:64"]
        assert exp.final("err_max") < EXACT and one.final("err_max") < EXACT
        assert exp.history["rounds"][-1] == one.history["rounds"][-1]
        # the text: the one-peer graph reaches 1e-8 two to three times sooner
        assert 2 <= time_to(exp) / time_to(one) <= 3.5, profile
    assert np.all(np.diff(ns["slow"].history["sim_time"]) > 0)

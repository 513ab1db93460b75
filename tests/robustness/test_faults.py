"""Faults: SIGTERM and SIGKILL of a ``decopt run`` process mid-study, a killed MPI rank,
and divergence inside a study. (SIGINT is covered by tests/test_results_study.py.)"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from _robust_helpers import ROOT, decopt_cmd, env_with_repo

import decopt
from decopt import study as st
from decopt.result import Result
from tests._helpers import same_history

HERE = Path(__file__).resolve().parent


def wait_for(cond, proc, timeout=60.0):
    deadline = time.time() + timeout
    while not cond():
        if proc.poll() is not None:
            raise AssertionError(f"process ended early: {proc.communicate()}")
        if time.time() > deadline:
            proc.kill()
            raise AssertionError("timed out waiting for the study to progress")
        time.sleep(0.02)


# ============================================================================ SIGTERM
TERM_STUDY = """
[study]
name = "term"
steps = 100000
log_every = 1000
checkpoint_every = 100000000
seeds = [0]

[problem]
name = "quadratic"
dim = 2

[topology]
spec = "exp:4"

[[group]]
name = "a"
study = { steps = 100 }
algorithm = [{ name = "push_pull", step_size = 0.1 }]

[[group]]
name = "b"
algorithm = [{ name = "push_pull", step_size = 0.05 }]
"""


def test_sigterm_checkpoints_keeps_finished_runs_and_resumes(tmp_path, cli):
    """SIGTERM to ``python -m decopt run``: exit 143 and a one-paragraph message naming the
    checkpoint, the finished run intact, the summary consistent; ``--resume`` then
    reproduces the numbers of an uninterrupted run."""
    f = tmp_path / "term.toml"
    f.write_text(textwrap.dedent(TERM_STUDY))
    s = st.load_study(f)
    out = tmp_path / "out"
    first, second = (out / "term" / r.name for r in s.runs)
    proc = subprocess.Popen(decopt_cmd("run", f, "--out", out, "--quiet"),
                            env=env_with_repo(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: (second / "spec.json").exists(), proc)
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, err
    assert "SIGTERM" in err and "--resume" in err and "Traceback" not in err
    assert "checkpoint" in err
    assert Result.load(first).success
    assert (second / "checkpoint.npz").exists() and not (second / "run.json").exists()
    rows = list(csv.DictReader(open(out / "term" / "summary.csv")))
    assert [r["run"] for r in rows] == [first.name]
    # resume: exact numbers of an uninterrupted run
    rc, _, err = cli("run", f, "--out", out, "--quiet", "--resume")
    assert rc == 0, err
    ref = decopt.run("push_pull", decopt.problems.quadratic(n=4, dim=2), "exp:4",
                     **s.runs[1].run_kwargs())
    same_history(ref, Result.load(second))
    rows = list(csv.DictReader(open(out / "term" / "summary.csv")))
    assert [r["run"] for r in rows] == [first.name, second.name]


def test_sigterm_in_process_run_raises_interrupted_with_checkpoint(tmp_path):
    """``decopt.run`` itself (no CLI): SIGTERM becomes ``Interrupted`` after a checkpoint
    at an iteration boundary; resume gives identical numbers."""
    prob = decopt.problems.logistic(n=4, dim=3, samples_per_node=10, seed=0)
    kw = dict(steps=60, step_size=0.05, seed=[0, 1], batch_size=3, log_every=5)
    full = decopt.run("pull_diag_gt", prob, "skewring:4", **kw)

    def term_at_25(r):
        if r.step == 25:
            os.kill(os.getpid(), signal.SIGTERM)

    ck = tmp_path / "ck.npz"
    with pytest.raises(decopt.runner.Interrupted) as info:
        decopt.run("pull_diag_gt", prob, "skewring:4", checkpoint=ck, callback=term_at_25,
                   **kw)
    assert info.value.signum == signal.SIGTERM and info.value.step == 25
    assert "SIGTERM" in str(info.value) and str(ck) in str(info.value)
    resumed = decopt.run("pull_diag_gt", prob, "skewring:4", checkpoint=ck, resume=True,
                         **kw)
    same_history(full, resumed)
    np.testing.assert_array_equal(full.x, resumed.x)
    assert not ck.exists()


# ============================================================================ SIGKILL
KILL_STUDY = """
[study]
name = "kill"
steps = 3000
log_every = 100
checkpoint_every = 500
seeds = [0, 1, 2]

[problem]
name = "logistic"
dim = 4
samples_per_node = 20

[topology]
spec = ["exp:{n}", "ring:{n}"]
n = [8]

[[algorithm]]
name = "push_pull"
step_size = [0.05, 0.02]

[[algorithm]]
name = "pull_diag_gt"
step_size = "0.2/n"
"""


def check_consistent(study_dir: Path, s) -> tuple[int, int]:
    """Every run directory holds a complete, loadable run or no run.json; the summary is
    absent or agrees with the complete runs. Returns (complete, incomplete)."""
    complete = incomplete = 0
    by_name = {r.name: r for r in s.runs}
    if not study_dir.exists():
        return 0, 0
    for d in sorted(p for p in study_dir.iterdir() if p.is_dir()):
        assert d.name in by_name, d
        if (d / "run.json").exists():
            res = Result.load(d)                 # json, csv and npz all parse
            r = by_name[d.name]
            assert res.nit == r.steps and res.history["step"][-1] == r.steps
            assert len(res.history["step"]) == r.steps // r.log_every + 1
            assert res.x.shape == (r.n, 4) and np.isfinite(res.x).all()
            assert json.loads((d / "run.json").read_text())["meta"]["study"]["config"] \
                == r.config()
            complete += 1
        else:
            # an unfinished run: at most a spec, a checkpoint and temporary files
            names = {p.name for p in d.iterdir()}
            assert names <= {"spec.json", "checkpoint.npz", "history.csv", "final.npz"} | {
                n for n in names if n.startswith(".") and n.endswith(".tmp")}, names
            if "checkpoint.npz" in names:
                with np.load(d / "checkpoint.npz") as z:     # a complete npz or absent
                    assert "meta" in z.files
            incomplete += 1
    summary = study_dir / "summary.csv"
    if summary.exists():
        for row in csv.DictReader(open(summary)):
            d = study_dir / row["run"]
            res = Result.load(d)
            assert row["success"] == str(res.success)
            seed_index = by_name[row["run"]].seeds.index(int(row["seed"]))
            v = np.asarray(res.history["grad_norm"][-1])
            assert math.isclose(float(row["grad_norm"]),
                                float(v[seed_index] if v.ndim else v), rel_tol=1e-15)
    return complete, incomplete


def _files_state(study_dir: Path) -> dict:
    """Path -> modification time of every file under ``study_dir`` (empty if absent)."""
    if not study_dir.exists():
        return {}
    out = {}
    # os.walk, not Path.rglob: the study under observation may remove a directory while
    # it is scanned, and os.walk skips what vanished (rglob raises FileNotFoundError)
    for root, dirs, files in os.walk(study_dir):
        for name in dirs + files:
            p = os.path.join(root, name)
            try:
                out[p] = os.stat(p).st_mtime_ns
            except FileNotFoundError:    # renamed or removed meanwhile
                pass
    return out


def test_sigkill_leaves_no_file_that_looks_complete(tmp_path, cli):
    """kill -9 at a few moments of a study: every run directory is complete or visibly
    unfinished; a final ``--resume`` completes the study with the uninterrupted numbers."""
    f = tmp_path / "kill.toml"
    f.write_text(textwrap.dedent(KILL_STUDY))
    s = st.load_study(f)
    out = tmp_path / "out"
    sd = out / "kill"
    seen_partial = False
    for delay in (0.5, 0.0, 0.3):
        before = _files_state(sd)
        proc = subprocess.Popen(decopt_cmd("run", f, "--out", out, "--quiet", "--resume"),
                                env=env_with_repo(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        try:
            # kill only once the study has visibly started (a run directory or file
            # written in this trial): start-up time varies a lot under load
            deadline = time.time() + 120
            while _files_state(sd) == before and proc.poll() is None:
                assert time.time() < deadline, "the study never started"
                time.sleep(0.01)
            time.sleep(delay)
            proc.kill()                     # SIGKILL
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        complete, incomplete = check_consistent(sd, s)
        seen_partial |= incomplete > 0
        if complete == len(s.runs):
            break
    rc, _, err = cli("run", f, "--out", out, "--quiet", "--resume")
    assert rc == 0, err
    assert check_consistent(sd, s) == (len(s.runs), 0)
    # the runs that were killed and resumed (or restarted) give the uninterrupted numbers
    prob = decopt.problems.make(s.runs[-1].problem, **s.runs[-1].problem_params)
    for r in (s.runs[0], s.runs[-1]):
        ref = decopt.run(r.algorithm, prob, r.topology, **r.run_kwargs())
        same_history(ref, Result.load(sd / r.name))
    assert seen_partial or complete == len(s.runs)


# ============================================================================ MPI
def _mpiexec():
    local = Path(sys.executable).parent / "mpiexec"
    return str(local) if local.exists() else shutil.which("mpiexec")


@pytest.mark.mpi
@pytest.mark.skipif(_mpiexec() is None, reason="needs mpiexec (pip install -e '.[mpi]')")
@pytest.mark.parametrize("mode", ["kill"])
def test_killed_mpi_rank_ends_the_job(mode):
    """Rank 1 SIGKILLs itself mid-run while the others wait in neighbourhood collectives:
    mpiexec (MPICH's hydra) notices, kills the other ranks and reports it; no rank hangs.
    (A rank that *raises* is tests/mpi/test_mpi_faults.py.)"""
    pytest.importorskip("mpi4py")
    t0 = time.perf_counter()
    proc = subprocess.Popen([_mpiexec(), "-n", "3", sys.executable, "-m", "mpi4py",
                             str(HERE / "mpi_kill_driver.py"), mode], cwd=ROOT,
                            env=env_with_repo(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("a killed rank left the MPI job hanging for 60 s")
    secs = time.perf_counter() - t0
    assert proc.returncode != 0
    assert "rank 1 dies" in out and "finished" not in out
    report = out + err                   # hydra prints its report on stdout
    assert "BAD TERMINATION" in report or "signal 9" in report or "Killed" in report, \
        report[-2000:]
    assert secs < 30, f"the job took {secs:.1f} s to end"


# ============================================================================ divergence
def test_divergence_in_a_study_is_reported_and_the_study_goes_on(tmp_path, cli):
    """Non-finite or exploding iterates: the run stops early with success=False and a
    message naming step, node (and seed) and the step-size bound; the other runs go on and
    the summary and the CLI report the failed ones."""
    f = tmp_path / "div.toml"
    f.write_text(textwrap.dedent("""
        [study]
        name = "div"
        steps = 200
        log_every = 10
        seeds = [0, 1]
        batch_seeds = true
        [problem]
        name = "quadratic"
        dim = 2
        [topology]
        spec = "skewring:{n}"
        n = [6]
        [[algorithm]]
        name = "pull_diag_gt"
        step_size = ["0.1/n", "30/n"]
        [[algorithm]]
        name = "push_pull"
        step_size = 0.1
    """))
    rc, out, err = cli("run", f, "--out", tmp_path / "o")
    assert rc == 0, err
    assert "1 failed" in out and "failed: pull_diag_gt[alpha=5]" in out
    rows = list(csv.DictReader(open(tmp_path / "o" / "div" / "summary.csv")))
    assert len(rows) == 6
    bad = [r for r in rows if r["success"] == "False"]
    assert len(bad) == 2 and all("alpha=5" in r["run"] for r in bad)
    msg = bad[0]["message"]
    assert "diverged at step" in msg and "node" in msg and "seed" in msg
    assert "1/(2 n L)" in msg
    res = Result.load(tmp_path / "o" / "div" / bad[0]["run"])
    assert not res.success and res.nit < 200


def test_nan_iterates_stop_the_run():
    """A gradient that turns NaN (here through an absurd step size) stops at the next
    logged step, naming the step."""
    prob = decopt.problems.quadratic(n=4, dim=2, seed=0, condition=10.0)
    res = decopt.run("push_pull", prob, "exp:4", steps=10_000, step_size=1e200, log_every=7,
                     divergence=math.inf)      # no norm threshold: only non-finite values
    assert not res.success and res.nit < 100 and res.nit % 7 == 0
    assert f"at step {res.nit}" in res.message and "node" in res.message

"""Results of studies on disk: layout, summary, skip, overwrite, resume, interruption."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import decopt
from decopt import study as st
from decopt.result import Result
from tests._helpers import same_history

STUDY = """
[study]
name = "small"
steps = 60
log_every = 10
seeds = [0, 1]

[problem]
name = "quadratic"
dim = 3

[topology]
spec = "exp:{n}"
n = [4]

[[algorithm]]
name = "push_pull"
step_size = 0.1

[[algorithm]]
name = "pull_diag_gt"
step_size = ["0.4/n", 50.0]
"""


def load(tmp_path, text=STUDY):
    p = tmp_path / "small.toml"
    p.write_text(textwrap.dedent(text))
    return st.load_study(p)


def test_layout_summary_failed_runs_and_skip(tmp_path):
    s = load(tmp_path)
    out = tmp_path / "res"
    o = st.run_study(s, out, echo=None)
    sd = out / "small"
    assert len(o.ran) == 6 and not o.skipped
    for r in s.runs:
        d = sd / r.name
        assert {p.name for p in d.iterdir()} == {"history.csv", "final.npz", "run.json"}
        meta = json.loads((d / "run.json").read_text())["meta"]
        assert meta["study"]["config"] == r.config()
        assert meta["topology_metrics"]["row"]["kappa"] == pytest.approx(1.0)
        assert "backend" in meta and meta["ranks"] == 1
    # step size 50 diverges: recorded as failed, the study went on
    assert len(o.failed) == 2 and all("alpha=50" in f for f in o.failed)
    rows = list(csv.DictReader(open(sd / "summary.csv")))
    assert len(rows) == 6
    assert {r["success"] for r in rows} == {"True", "False"}
    assert all(r["message"] for r in rows) and "grad_norm" in rows[0]
    assert not list(sd.glob(".*.tmp"))
    # rerun: everything skipped, files untouched
    mtime = (sd / s.runs[0].name / "run.json").stat().st_mtime_ns
    o2 = st.run_study(s, out, echo=None)
    assert len(o2.skipped) == 6 and not o2.ran
    assert (sd / s.runs[0].name / "run.json").stat().st_mtime_ns == mtime
    # a changed config is never silently overwritten ...
    s3 = load(tmp_path, STUDY.replace("steps = 60", "steps = 70"))
    with pytest.raises(ValueError, match="different configuration.*--overwrite"):
        st.run_study(s3, out, echo=None)
    assert (sd / s.runs[0].name / "run.json").stat().st_mtime_ns == mtime
    # ... unless asked
    o3 = st.run_study(s3, out, echo=None, overwrite=True)
    assert len(o3.ran) == 6
    assert Result.load(sd / s.runs[0].name).nit == 70


def test_unwritable_output_fails_before_running(tmp_path):
    s = load(tmp_path)
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(ValueError, match="not writable"):
        st.run_study(s, blocker / "out", echo=None)
    assert blocker.read_text() == ""


def test_read_only_output_fails_before_running(tmp_path):
    s = load(tmp_path)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if os.access(ro, os.W_OK):      # running as root: permissions do not apply
            pytest.skip("cannot make a read-only directory as this user")
        with pytest.raises(ValueError, match="not writable"):
            st.run_study(s, ro / "x", echo=None)
    finally:
        ro.chmod(0o700)


def test_runner_interrupt_and_resume_identical(tmp_path):
    prob = decopt.problems.logistic(n=8, dim=4, samples_per_node=20, seed=0)
    kw = dict(steps=200, step_size=0.05, seed=[0, 1], batch_size=5, log_every=10)
    full = decopt.run("push_pull", prob, "chords:8", **kw)

    def stop_at_90(r):
        if r.step == 90:
            raise KeyboardInterrupt

    ck = tmp_path / "checkpoint.npz"
    with pytest.raises(KeyboardInterrupt):
        decopt.run("push_pull", prob, "chords:8", checkpoint=ck, callback=stop_at_90, **kw)
    assert ck.exists()
    resumed = decopt.run("push_pull", prob, "chords:8", checkpoint=ck, resume=True, **kw)
    same_history(full, resumed)
    np.testing.assert_array_equal(full.x, resumed.x)


SLOW = """
[study]
name = "intr"
steps = 100000
log_every = 1000
checkpoint_every = 100000000
seeds = [0]

[problem]
name = "quadratic"
dim = 2

[topology]
spec = "exp:4"

[[algorithm]]
name = "push_pull"
step_size = [0.1, 0.05]
"""


def test_sigint_checkpoints_keeps_finished_runs_and_resumes(tmp_path):
    """SIGINT to ``python -m decopt run``: exit 130, the first run intact, a checkpoint of
    the second; --resume finishes with the numbers of an uninterrupted run."""
    study = tmp_path / "intr.toml"
    # first run short, second long: make the first run's step size its own group
    text = textwrap.dedent(SLOW).replace(
        '[[algorithm]]\nname = "push_pull"\nstep_size = [0.1, 0.05]\n',
        '[[algorithm]]\nname = "push_pull"\nstep_size = [0.1, 0.05]\n\n'
        '[[group]]\nname = "a"\nstudy = { steps = 100 }\n'
        'algorithm = [{ name = "push_pull", step_size = 0.1 }]\n\n'
        '[[group]]\nname = "b"\n'
        'algorithm = [{ name = "push_pull", step_size = 0.05 }]\n')
    study.write_text(text)
    s = st.load_study(study)
    first, second = (tmp_path / "out" / "intr" / r.name for r in s.runs)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "decopt", "run", str(study), "--out",
                             str(tmp_path / "out"), "--quiet"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not (second / "spec.json").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.time() < deadline
        time.sleep(0.05)
    time.sleep(0.7)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "--resume" in err and "Traceback" not in err
    assert (first / "run.json").exists()
    assert (second / "checkpoint.npz").exists() and not (second / "run.json").exists()
    assert (tmp_path / "out" / "intr" / "summary.csv").exists()
    # without --resume the interrupted run is not silently restarted
    from decopt.cli import main
    assert main(["run", str(study), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    # resume must reproduce the uninterrupted numbers exactly
    assert main(["run", str(study), "--out", str(tmp_path / "out"), "--quiet",
                 "--resume"]) == 0
    assert (second / "run.json").exists() and not (second / "checkpoint.npz").exists()
    ref = decopt.run("push_pull", decopt.problems.quadratic(n=4, dim=2), "exp:4",
                     **s.runs[1].run_kwargs())
    same_history(ref, Result.load(second))

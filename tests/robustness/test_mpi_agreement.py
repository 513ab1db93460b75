"""Under MPI, ranks that pass different run configs are refused on every rank before
step 0 (never a hang, never a result matching neither), and a bad-input message of
``decopt run`` is printed once (rank 0), not once per rank."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from _robust_helpers import env_with_repo

HERE = Path(__file__).resolve().parent


def _mpiexec():
    local = Path(sys.executable).parent / "mpiexec"
    return str(local) if local.exists() else shutil.which("mpiexec")


pytestmark = [pytest.mark.mpi,
              pytest.mark.skipif(_mpiexec() is None, reason="needs mpiexec (the mpi extra)")]


def test_ranks_with_different_run_configs_are_refused_on_every_rank():
    pytest.importorskip("mpi4py")
    proc = subprocess.run(["timeout", "120", _mpiexec(), "-n", "2", sys.executable, "-m",
                           "mpi4py", str(HERE / "mpi_config_driver.py")],
                          capture_output=True, text=True, env=env_with_repo(), timeout=150)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    # negative control: the same config on both ranks runs to the end
    assert report.pop("same") == ["ok nit=20", "ok nit=20"]
    assert set(report) == {"step_size", "seed", "algorithm", "steps", "log_every", "noise",
                           "checkpoint"}
    for key, got in report.items():
        assert len(got) == 2, (key, got)
        for msg in got:     # every rank refused, naming the key that differs
            assert msg.startswith("ValueError: MPI ranks disagree on the run configuration: "
                                  f"{key} = "), (key, msg)


def test_bad_input_is_printed_once_under_mpi(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text(textwrap.dedent("""
        [study]
        name = "bad"
        steps = 10
        no_such_key = 1
        [problem]
        name = "quadratic"
        [topology]
        spec = "exp:4"
        [[algorithm]]
        name = "push_pull"
        step_size = 0.01
        """))
    proc = subprocess.run(["timeout", "120", _mpiexec(), "-n", "2", sys.executable, "-m",
                           "mpi4py", "-m", "decopt", "run", str(f), "--out",
                           str(tmp_path / "out")],
                          capture_output=True, text=True, env=env_with_repo(), timeout=150)
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("decopt: ")]
    assert len(lines) == 1 and "no_such_key" in lines[0], proc.stderr
    assert proc.stderr.count("decopt: error") == 1, proc.stderr


def _study(tmp_path, fname, steps):
    f = tmp_path / fname
    f.write_text(textwrap.dedent(f"""
        [study]
        name = "same_name"
        steps = {steps}
        [problem]
        name = "quadratic"
        [topology]
        spec = "exp:4"
        [[algorithm]]
        name = "push_pull"
        step_size = 0.01
        """))
    return f


def test_ranks_reading_different_studies_are_refused_once(tmp_path):
    """MPMD launch: rank 0 and rank 1 read different study files (same name): refused on
    every rank before anything is written, one line on stderr, no hang."""
    a, b = _study(tmp_path, "a.toml", 10), _study(tmp_path, "b.toml", 20)
    out = tmp_path / "out"
    cmd = lambda f: [sys.executable, "-m", "mpi4py", "-m", "decopt", "run", str(f),
                     "--out", str(out)]
    proc = subprocess.run(["timeout", "120", _mpiexec(), "-n", "1", *cmd(a), ":", "-n", "1",
                           *cmd(b)], capture_output=True, text=True, env=env_with_repo(),
                          timeout=150)
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("decopt: ")]
    assert len(lines) == 1 and "disagree on study 'same_name'" in lines[0], proc.stderr
    assert not (out / "same_name").exists() or not any((out / "same_name").iterdir())


def test_single_run_refused_on_rank_0_stops_every_rank(tmp_path):
    """A finished single run without --overwrite: rank 0 refuses, and the other ranks stop
    too (they used to wait in the run's collectives)."""
    args = ["run", "--algorithm", "push_pull", "--topology", "exp:4", "--problem",
            "quadratic", "--steps", "10", "--step-size", "0.01", "--out", str(tmp_path),
            "--quiet"]
    launch = ["timeout", "120", _mpiexec(), "-n", "2", sys.executable, "-m", "mpi4py", "-m",
              "decopt", *args]
    first = subprocess.run(launch, capture_output=True, text=True, env=env_with_repo(),
                           timeout=150)
    assert first.returncode == 0, first.stderr
    again = subprocess.run(launch, capture_output=True, text=True, env=env_with_repo(),
                           timeout=150)
    assert again.returncode == 2, again.stderr        # 124 would be timeout's (a hang)
    lines = [ln for ln in again.stderr.splitlines() if ln.startswith("decopt: ")]
    assert len(lines) == 1 and "already holds a finished run" in lines[0], again.stderr

"""SIGTERM/SIGINT to ``mpiexec -n 2 ... decopt run STUDY``: the job ends within seconds
in every trial (every rank acts on a signal at the same iteration), with exit status
130/143, the message printed once (rank 0), and what finished kept."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from _robust_helpers import env_with_repo

STUDY = """
[study]
name = "sig"
steps = 4000
log_every = 25
checkpoint_every = 1000
seeds = [0]

[problem]
name = "quadratic"
dim = 3

[topology]
spec = ["exp:{n}", "ring:{n}"]
n = [6]

[[algorithm]]
name = "push_pull"
step_size = [0.01, 0.02]
"""


def _mpiexec():
    local = Path(sys.executable).parent / "mpiexec"
    return str(local) if local.exists() else shutil.which("mpiexec")


def _wait_line(proc, text, timeout):
    """Read stdout until a line containing ``text`` (or EOF); False on timeout."""
    deadline = time.time() + timeout
    os.set_blocking(proc.stdout.fileno(), False)
    buf = b""
    while time.time() < deadline:
        chunk = proc.stdout.read()
        if chunk:
            buf += chunk
            if text.encode() in buf:
                return True
        elif proc.poll() is not None:
            return False
        time.sleep(0.01)
    return False


@pytest.mark.mpi
@pytest.mark.skipif(_mpiexec() is None, reason="needs mpiexec (pip install -e '.[mpi]')")
def test_signals_end_mpi_study_every_time(tmp_path):
    """20 trials, SIGTERM and SIGINT alternating, each sent at a random small delay after
    the study's first output line: every trial ends within 15 s with 143/130 and prints
    the interrupt message once."""
    pytest.importorskip("mpi4py")
    f = tmp_path / "sig.toml"
    f.write_text(textwrap.dedent(STUDY))
    rng = random.Random(13)
    failures, interrupted = [], 0
    trials = int(os.environ.get("DECOPT_SIGNAL_TRIALS", "20"))
    for trial in range(trials):
        sig = signal.SIGTERM if trial % 2 == 0 else signal.SIGINT
        out = tmp_path / f"out{trial}"
        proc = subprocess.Popen([_mpiexec(), "-n", "2", sys.executable, "-m", "mpi4py", "-m",
                                 "decopt", "run", str(f), "--out", str(out)],
                                env=env_with_repo(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
        try:
            started = _wait_line(proc, "study sig", timeout=120)
            assert started, f"trial {trial}: the study never printed its first line"
            time.sleep(rng.uniform(0.0, 0.6))
            t0 = time.perf_counter()
            proc.send_signal(sig)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                failures.append(f"trial {trial} ({sig.name}): still running after 15 s")
                continue
            took = time.perf_counter() - t0
            err = proc.stderr.read().decode()
            want = 143 if sig == signal.SIGTERM else 130
            if proc.returncode == 0 and "interrupted" not in err and "terminated" not in err:
                continue    # the study finished before the signal: nothing to check
            interrupted += 1
            if proc.returncode != want:
                failures.append(f"trial {trial} ({sig.name}): exit {proc.returncode} after "
                                f"{took:.1f}s, stderr {err[-400:]!r}")
            elif err.count("decopt: ") != 1:
                failures.append(f"trial {trial}: message printed "
                                f"{err.count('decopt: ')} times: {err!r}")
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    assert not failures, "\n".join(failures)
    assert interrupted >= trials // 2, f"only {interrupted} of {trials} trials were " \
        f"interrupted before the study finished: make the study longer"

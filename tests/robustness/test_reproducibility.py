"""Reproducibility: the same study with the same seeds gives byte-identical result files
(time columns and wall times aside) on two runs, in-process and under MPI; a run.json is
enough to rerun a run exactly (``decopt run --from``)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from _robust_helpers import ROOT, env_with_repo

from decopt.result import Result

STUDY = """
[study]
name = "rep"
steps = 30
log_every = 10
seeds = [0, 1]
batch_size = 3
divergence = 100.0               # so that alpha = 500 fails within 30 steps

[problem]
name = "logistic"
dim = 3
samples_per_node = 8

[topology]
spec = ["exp:{n}", "er:{n},p=0.6,seed={seed}"]
n = [4]

[[algorithm]]
name = "push_pull"
step_size = [0.1, 500.0]          # the second one diverges: failed runs reproduce too

[[algorithm]]
name = "pull_diag_gt"
step_size = "0.2/n"
rounds = [1, 2]
"""
TIME_COLUMNS = {"time", "wall_time"}


def study_file(tmp_path) -> Path:
    f = tmp_path / "rep.toml"
    f.write_text(textwrap.dedent(STUDY))
    return f


def _strip_csv(data: bytes) -> bytes:
    rows = list(csv.reader(io.StringIO(data.decode())))
    keep = [j for j, h in enumerate(rows[0]) if h not in TIME_COLUMNS]
    return "\n".join(",".join(r[j] for j in keep) for r in rows).encode()


def _strip_json(data: bytes) -> bytes:
    doc = json.loads(data)
    doc.pop("wall_time", None)
    return json.dumps(doc, sort_keys=True).encode()


def normalised_tree(root: Path) -> dict:
    """relative path -> bytes, with time columns and wall times removed."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_dir():
            continue
        data = p.read_bytes()
        if p.suffix == ".csv":
            data = _strip_csv(data)
        elif p.suffix == ".json":
            data = _strip_json(data)
        out[str(p.relative_to(root))] = data
    return out


def assert_same_tree(a: Path, b: Path):
    ta, tb = normalised_tree(a), normalised_tree(b)
    assert sorted(ta) == sorted(tb)
    assert any(k.endswith("final.npz") for k in ta) and any(k.endswith("summary.csv")
                                                            for k in ta)
    for k in ta:
        assert ta[k] == tb[k], f"{k} differs between the two runs"


def test_same_study_twice_is_byte_identical_in_process(tmp_path, cli):
    f = study_file(tmp_path)
    for out in ("a", "b"):
        rc, _, err = cli("run", f, "--out", tmp_path / out, "--quiet", "--backend", "local")
        assert rc == 0, err
    assert_same_tree(tmp_path / "a", tmp_path / "b")
    # the raw files differ only in the time columns / wall time (not e.g. in file order)
    s = (tmp_path / "a" / "rep" / "summary.csv").read_text().splitlines()
    assert len(s) == 1 + 8 * 2 and "False" in "".join(s)


def _mpiexec():
    local = Path(sys.executable).parent / "mpiexec"
    return str(local) if local.exists() else shutil.which("mpiexec")


@pytest.mark.mpi
@pytest.mark.skipif(_mpiexec() is None, reason="needs mpiexec (pip install -e '.[mpi]')")
def test_same_study_twice_is_byte_identical_under_mpi(tmp_path):
    pytest.importorskip("mpi4py")
    f = study_file(tmp_path)
    for out in ("a", "b"):
        p = subprocess.run([_mpiexec(), "-n", "2", sys.executable, "-m", "mpi4py", "-m",
                            "decopt", "run", str(f), "--out", str(tmp_path / out), "--quiet",
                            "--backend", "mpi"], capture_output=True, text=True, timeout=120,
                           env=env_with_repo(), cwd=ROOT)
        assert p.returncode == 0, p.stderr[-3000:]
    assert_same_tree(tmp_path / "a", tmp_path / "b")
    meta = json.loads(next((tmp_path / "a").rglob("run.json")).read_text())["meta"]
    assert meta["ranks"] == 2 and meta["backend"] == "MPINetwork"


@pytest.mark.parametrize("which", ["stochastic", "diverged", "rounds"])
def test_rerun_from_run_json_reproduces_the_numbers(tmp_path, cli, which):
    f = study_file(tmp_path)
    rc, _, err = cli("run", f, "--out", tmp_path / "a", "--quiet", "--backend", "local")
    assert rc == 0, err
    pick = {"stochastic": "push_pull[alpha=0.1]--er", "diverged": "alpha=500",
            "rounds": ",R=2]--exp"}[which]
    run_dir = next(d for d in sorted((tmp_path / "a" / "rep").iterdir()) if pick in d.name)
    rc, out, err = cli("run", "--from", run_dir / "run.json", "--out", tmp_path / "again",
                       "--backend", "local")
    stored = Result.load(run_dir)
    assert rc == (0 if stored.success else 1), err
    assert "reproduced: identical history" in out
    again = Result.load(tmp_path / "again" / run_dir.name)
    assert again.success == stored.success and again.message == stored.message
    assert again.nit == stored.nit and again.counters == stored.counters
    for k, v in stored.history.items():
        if k != "time":
            np.testing.assert_array_equal(again.history[k], v, err_msg=k)
    np.testing.assert_array_equal(again.x, stored.x)
    assert _strip_json((run_dir / "run.json").read_bytes()) == _strip_json(
        (tmp_path / "again" / run_dir.name / "run.json").read_bytes()) or \
        json.loads((run_dir / "run.json").read_text())["config"] == json.loads(
            (tmp_path / "again" / run_dir.name / "run.json").read_text())["config"]

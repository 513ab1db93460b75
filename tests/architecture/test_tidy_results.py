"""Tidy results: every history row names its run; ``decopt.load_results`` gives one long
table; ``Result``'s repr shows small numbers in scientific notation."""

from __future__ import annotations

import csv

import numpy as np
import pytest

import decopt
from decopt.cli import main

STUDY = """
[study]
name = "tidy"
steps = 8
log_every = 4
seeds = [0, 1]
[problem]
name = "quadratic"
dim = 2
[topology]
spec = ["exp:{n}", "ring:{n}"]
n = [4]
[[algorithm]]
name = "push_pull"
step_size = [0.05, 0.1]
[[algorithm]]
name = "mg_pull_diag_gt"
step_size = 0.05
rounds = 2
"""


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tidy")
    f = tmp / "tidy.toml"
    f.write_text(STUDY)
    assert main(["run", str(f), "--out", str(tmp / "res"), "--quiet"]) == 0
    return tmp / "res" / "tidy"


def test_every_history_row_names_its_run(study_dir):
    for d in study_dir.iterdir():
        if not d.is_dir():
            continue
        rows = list(csv.DictReader(open(d / "history.csv")))
        res = decopt.Result.load(d)
        for row in rows:
            assert row["algorithm"] == res.config["algorithm"]
            assert row["topology"] == res.config["topology"]
            assert row["problem"] == "quadratic"
            assert float(row["step_size"]) == res.config["step_size"]
            assert int(row["gossip_rounds"]) == res.config["rounds"]
            assert row["seed"] in ("0", "1")


def test_load_results_is_one_long_table(study_dir):
    pd = pytest.importorskip("pandas")
    df = decopt.load_results(study_dir)
    assert isinstance(df, pd.DataFrame)
    # 2 topologies x (2 + 1) configurations x 2 seeds = 12 runs, 3 logged steps each
    assert len(df) == 12 * 3
    assert set(df["algorithm"]) == {"push_pull", "mg_pull_diag_gt"}
    assert set(df["gossip_rounds"]) == {1, 2}
    assert set(df["study"]) == {"tidy"}
    # the same numbers as the run directories, to the last bit (a tidy copy, not a fit)
    d = next(p for p in study_dir.iterdir() if p.is_dir())
    res = decopt.Result.load(d)
    sub = df[df["run"] == d.name].sort_values("step")
    np.testing.assert_array_equal(sub["grad_norm"].to_numpy(), res.history["grad_norm"])
    # a results root (the parent) gives the same table
    assert len(decopt.load_results(study_dir.parent)) == len(df)


def test_load_results_without_pandas(study_dir):
    t = decopt.load_results(study_dir, pandas=False)
    assert isinstance(t, dict) and len(t["step"]) == 36
    assert t["step"].dtype == np.int64


def test_load_results_rejects_an_empty_dir(tmp_path):
    with pytest.raises(ValueError, match="no finished run"):
        decopt.load_results(tmp_path)
    with pytest.raises(ValueError, match="does not exist"):
        decopt.load_results(tmp_path / "nope")


def test_repr_small_numbers_in_scientific_notation():
    res = decopt.Result(x=None, history={"grad_norm": np.array([1.0, 1.3e-4])}, counters={},
                        success=True, message="finished", nit=1, wall_time=0.1)
    assert "grad_norm=1.3e-04" in repr(res)
    res.history["grad_norm"] = np.array([[1.0, 1.0], [1.3e-4, 2e-9]])
    assert "1.3e-04" in repr(res) and "2.0e-09" in repr(res)

"""``cost_model`` end to end: ``[study] cost_model = "cluster-1g"`` (or a list of
profiles, a grid axis) through ``decopt run study.toml`` and ``decopt run --cost-model``
logs the same ``sim_time`` as ``decopt.run(cost_model=...)``; a bad profile exits 2."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

import decopt
from decopt.cli import main
from decopt.result import Result
from decopt.study import load_study

STUDY = """
[study]
name = "cost"
steps = 20
log_every = 5
cost_model = ["cluster-1g", "edge"]

[problem]
name = "quadratic"
dim = 3

[topology]
spec = "exp:8"

[[algorithm]]
name = "push_pull"
step_size = 0.05
"""

# sim_time is a sum of the same floats in the same order on every path (1e-12).
RTOL = 1e-12


def test_cost_model_study_cli_python(tmp_path, capsys):
    p = tmp_path / "cost.toml"
    p.write_text(textwrap.dedent(STUDY))
    assert main(["run", str(p), "--out", str(tmp_path / "res"), "--quiet"]) == 0
    runs = load_study(p).runs
    assert sorted(r.name for r in runs) == [
        "push_pull[alpha=0.05,cost_model=cluster-1g]--exp[n=8]--seed=0",
        "push_pull[alpha=0.05,cost_model=edge]--exp[n=8]--seed=0"]
    prob = decopt.problems.quadratic(n=8, dim=3)
    times = {}
    for r in runs:
        prof = r.name.split("cost_model=")[1].split("]")[0]
        got = Result.load(tmp_path / "res" / "cost" / r.name)
        ref = decopt.run("push_pull", prob, "exp:8", steps=20, step_size=0.05, seed=0,
                         log_every=5, cost_model=prof)
        np.testing.assert_allclose(got.history["sim_time"], ref.history["sim_time"],
                                   rtol=RTOL)
        times[prof] = got.history["sim_time"][-1]
    assert times["edge"] != times["cluster-1g"]
    out = tmp_path / "cli"
    assert main(["run", "--algorithm", "push_pull", "--topology", "exp:8", "--problem",
                 "quadratic", "--problem-param", "dim=3", "--steps", "20", "--step-size",
                 "0.05", "--log-every", "5", "--cost-model", "edge", "--out", str(out),
                 "--quiet"]) == 0
    (d,) = [q for q in out.iterdir() if q.is_dir()]
    assert "cost_model=edge" in d.name
    np.testing.assert_allclose(Result.load(d).history["sim_time"][-1], times["edge"],
                               rtol=RTOL)


@pytest.mark.parametrize("argv_tail, needle", [
    (["--cost-model", "cluster-2g"], "cluster-2g"),
    (["--cost-model", "missing_profile.toml"], "missing_profile.toml"),
])
def test_bad_cost_model_exit_2(tmp_path, capsys, argv_tail, needle):
    assert main(["run", "--algorithm", "push_pull", "--topology", "exp:8", "--steps", "5",
                 "--step-size", "0.05", "--out", str(tmp_path / "o"), *argv_tail]) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1, err


def test_bad_cost_model_in_study_exit_2(tmp_path, capsys):
    p = tmp_path / "bad.toml"
    p.write_text(textwrap.dedent(STUDY).replace('"edge"', '"edgy"'))
    assert main(["run", str(p), "--out", str(tmp_path / "res")]) == 2
    err = capsys.readouterr().err
    assert "edgy" in err and "cost_model[1]" in err, err

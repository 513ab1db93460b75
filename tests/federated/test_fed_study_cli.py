"""Federated methods end to end: a study with ``server:{n}``, ``local_steps``,
``participation`` and ``server_optimizer`` (lists as grid axes) through ``decopt run
study.toml``, the same run through ``decopt run --local-steps ...``, and ``decopt.run``
agree; ``budget = "rounds"`` counts one round per server iteration; bad values exit 2."""

from __future__ import annotations

import csv
import json
import textwrap

import numpy as np
import pytest

import decopt
from decopt.cli import main
from decopt.result import Result
from decopt.study import load_study, parse_study
from tests._helpers import run_dirs, run_study_cli

STUDY = """
[study]
name = "fed"
steps = 24
log_every = 6
seeds = [0]

[problem]
name = "quadratic"
dim = 3
heterogeneity = 1.0

[topology]
spec = "server:{n}"
n = [8]

[[algorithm]]
name = "fedavg"
step_size = 0.05

[[group]]
name = "server"
[[group.algorithm]]
name = "fedavg"
step_size = 0.05
local_steps = 3
participation = [0.5, 1.0]
server_optimizer = "adam"
[[group.algorithm]]
name = "scaffold"
step_size = 0.05
local_steps = 3
participation = 0.5

[[group]]
name = "gossip"
topology = { spec = "exp:{n}" }
[[group.algorithm]]
name = "kgt"
step_size = 0.05
local_steps = [1, 3]
"""

# Same code path and seeds: identical up to round-off of equal operations (1e-12).
RTOL = 1e-12


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory):
    return run_study_cli(tmp_path_factory, "fed", STUDY)


def test_axes_names_and_summary(study_dir):
    _, root = study_dir
    names = sorted(run_dirs(root))
    assert len(names) == 5, names
    assert any("fedavg[alpha=0.05,local_steps=3,participation=0.5,server_optimizer=adam]"
               "--server[n=8]" in n for n in names), names
    assert any("fedavg[alpha=0.05,local_steps=3,server_optimizer=adam]--server[n=8]" in n
               for n in names), names
    assert any("kgt[alpha=0.05,local_steps=1]--exp[n=8]" in n for n in names), names
    rows = list(csv.DictReader(open(root / "summary.csv")))
    assert {r["participation"] for r in rows} == {"0.5", "1"}
    # a server method counts one communication round per iteration in the summary
    fed = [r for r in rows if r["algorithm"] == "fedavg"]
    assert all(int(r["comm_rounds"]) == 24 for r in fed)
    for name in names:    # a server has no mixing matrix: no topology metrics recorded
        meta = json.loads((root / name / "run.json").read_text())["meta"]
        assert (meta.get("topology_metrics") is None) == name.startswith("server--")


@pytest.mark.parametrize("alg, kw", [
    ("fedavg", dict(local_steps=3, participation=0.5, server_optimizer="adam")),
    ("scaffold", dict(local_steps=3, participation=0.5)),
])
def test_study_equals_python_and_cli(study_dir, tmp_path, alg, kw):
    p, root = study_dir
    prob = decopt.problems.quadratic(n=8, dim=3, heterogeneity=1.0)
    ref = decopt.run(alg, prob, "server:8", steps=24, step_size=0.05, seed=0, log_every=6,
                     **kw)
    (r,) = [r for r in load_study(p).runs if r.algorithm == alg and
            all(r.extra.get(k) == v for k, v in kw.items())]
    np.testing.assert_allclose(Result.load(root / r.name).x, ref.x, rtol=RTOL, atol=1e-14)
    flags = []
    for k, v in kw.items():
        flags += [f"--{k.replace('_', '-')}", str(v)]
    out = tmp_path / "cli"
    assert main(["run", "--algorithm", alg, "--topology", "server:{n}", "--n", "8",
                 "--problem", "quadratic", "--problem-param", "dim=3", "--problem-param",
                 "heterogeneity=1.0", "--steps", "24", "--step-size", "0.05",
                 "--log-every", "6", "--out", str(out), "--quiet", *flags]) == 0
    (d,) = [q for q in out.iterdir() if q.is_dir()]
    assert d.name == r.name.partition("--")[2], (d.name, r.name)   # same name, no group
    np.testing.assert_allclose(Result.load(d).x, ref.x, rtol=RTOL, atol=1e-14)


def test_round_budget_counts_server_iterations():
    doc = {"study": {"steps": 40, "budget": "rounds"},
           "problem": {"name": "quadratic", "dim": 2},
           "topology": {"spec": "server:4"},
           "algorithm": [{"name": "fedavg", "step_size": 0.1, "local_steps": 2},
                         {"name": "scaffold", "step_size": 0.1}]}
    s = parse_study(doc)
    assert [r.steps for r in s.runs] == [40, 40]   # mixings = 0: one round per iteration
    doc["topology"] = {"spec": "exp:4"}
    doc["algorithm"] = [{"name": "push_pull", "step_size": 0.1}]
    assert parse_study(doc).runs[0].steps == 20     # two mixings per iteration


@pytest.mark.parametrize("old, new, needle", [
    ("participation = [0.5, 1.0]", "participation = [0.5, 0.0]", "0.0"),
    ("local_steps = [1, 3]", "local_steps = [1, 0]", "local_steps"),
    ('server_optimizer = "adam"', 'server_optimizer = "adamw"', "adamw"),
    ('spec = "exp:{n}"', 'spec = "server:{n}"', "server"),
])
def test_bad_values_exit_2(tmp_path, capsys, old, new, needle):
    text = textwrap.dedent(STUDY)
    assert old in text
    p = tmp_path / "bad.toml"
    p.write_text(text.replace(old, new))
    assert main(["run", str(p), "--out", str(tmp_path / "res")]) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "res").exists()


@pytest.mark.parametrize("flags, needle", [
    (["--algorithm", "fedavg", "--topology", "server:8", "--local-steps", "0"],
     "local_steps"),
    (["--algorithm", "fedavg", "--topology", "server:8", "--participation", "1.5"], "1.5"),
    (["--algorithm", "push_pull", "--topology", "exp:8", "--server-optimizer", "adam"],
     "push_pull"),
    (["--algorithm", "push_pull", "--topology", "server:8"], "server:8"),
    (["--algorithm", "fedavg", "--topology", "server:x"], "server:x"),
])
def test_bad_cli_values_exit_2(tmp_path, capsys, flags, needle):
    assert main(["run", *flags, "--steps", "5", "--step-size", "0.05", "--out",
                 str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1, err

"""Compression, unreliable links, activation and random time-varying topologies end to
end: a study file through ``decopt run study.toml``, the same runs through ``decopt run
--algorithm ... --compression ... --link-failure ...``, and ``decopt.run`` in Python all
give the same numbers; lists of option values are grid axes; bad values exit 2."""

from __future__ import annotations

import csv
import json
import textwrap

import numpy as np
import pytest

import decopt
from decopt.cli import main
from decopt.result import Result
from decopt.study import load_study
from tests._helpers import run_dirs, run_study_cli

STUDY = """
[study]
name = "comm"
steps = 30
log_every = 10
seeds = [0]

[problem]
name = "quadratic"
dim = 3

[topology]
spec = "exp:8"

[[algorithm]]
name = "push_pull"
step_size = 0.05

[[group]]
name = "undirected"
topology = { spec = "uring:8" }
[[group.algorithm]]
name = "choco"
step_size = 0.05
compression = "topk:0.1"

[[group]]
name = "directed"
[[group.algorithm]]
name = "cpp"
step_size = 0.05
compression = ["topk:0.1", "qsgd:4"]
[[group.algorithm]]
name = "push_pull"
step_size = 0.05
link_failure = [0.0, 0.1]
activation = 0.5

[[group]]
name = "dynamic"
topology = { spec = ["random:kout:8,k=2,every=5", "pairwise:uring:8"] }
"""

# Same code path and seeds: identical up to round-off of equal operations (1e-12).
RTOL = 1e-12


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory):
    return run_study_cli(tmp_path_factory, "comm", STUDY)


def test_lists_are_axes_and_names_carry_options(study_dir):
    _, root = study_dir
    names = set(run_dirs(root))
    assert len(names) == 7, sorted(names)
    for needle in ("choco[alpha=0.05,compression=topk_0.1]--uring[n=8]",
                   "cpp[alpha=0.05,compression=topk_0.1]--exp[n=8]",
                   "cpp[alpha=0.05,compression=qsgd_4]--exp[n=8]",
                   "push_pull[alpha=0.05,activation=0.5]--exp[n=8]",
                   "push_pull[alpha=0.05,activation=0.5,link_failure=0.1]--exp[n=8]",
                   "push_pull[alpha=0.05]--random[kout_8,k=2,every=5]",
                   "push_pull[alpha=0.05]--pairwise[uring_8]"):
        assert any(needle in n for n in names), (needle, sorted(names))
    rows = list(csv.DictReader(open(root / "summary.csv")))
    assert {r["compression"] for r in rows} == {"", "topk:0.1", "qsgd:4"}
    assert {r["link_failure"] for r in rows} == {"0", "0.1"}     # default 0 when unset


def test_options_recorded_and_change_the_numbers(study_dir):
    _, root = study_dir
    runs = run_dirs(root)
    cfg = {n: json.loads((d / "run.json").read_text())["config"] for n, d in runs.items()}
    cpp = {c["compression"]: n for n, c in cfg.items() if c["algorithm"] == "cpp"}
    assert set(cpp) == {"topk:0.1", "qsgd:4"}
    bits = {k: json.loads((runs[n] / "run.json").read_text())["counters"]["bits"]
            for k, n in cpp.items()}
    assert bits["topk:0.1"] != bits["qsgd:4"]
    pp = {c.get("link_failure", 0.0): Result.load(runs[n]).x for n, c in cfg.items()
          if c["algorithm"] == "push_pull" and c["topology"] == "exp:8"}
    assert set(pp) == {0.0, 0.1}
    assert not np.allclose(pp[0.0], pp[0.1])
    # time-varying topologies: no static metrics in the record (they would be wrong)
    for n, d in runs.items():
        if n.startswith("dynamic--"):
            meta = json.loads((d / "run.json").read_text())["meta"]
            assert meta.get("topology_metrics") is None


@pytest.mark.parametrize("alg, topo, kw", [
    ("choco", "uring:8", dict(compression="topk:0.1")),
    ("cpp", "exp:8", dict(compression="qsgd:4")),
    ("push_pull", "exp:8", dict(link_failure=0.1, activation=0.5)),
    ("push_pull", "random:kout:8,k=2,every=5", {}),
    ("push_pull", "pairwise:uring:8", {}),
])
def test_study_equals_python_and_cli(study_dir, tmp_path, alg, topo, kw):
    p, root = study_dir
    prob = decopt.problems.quadratic(n=8, dim=3)
    ref = decopt.run(alg, prob, topo, steps=30, step_size=0.05, seed=0, log_every=10, **kw)
    s = load_study(p)
    match = [r for r in s.runs if r.algorithm == alg and r.topology == topo and
             {k: v for k, v in r.extra.items() if k in kw} == kw and
             all(r.extra.get(k) in (None, 0.0, 1.0) for k in
                 ("compression", "link_failure", "activation") if k not in kw)]
    assert len(match) == 1, [r.name for r in match]
    got = Result.load(root / match[0].name)
    np.testing.assert_allclose(got.x, ref.x, rtol=RTOL, atol=1e-14)
    flags = []
    for k, v in kw.items():
        flags += [f"--{k.replace('_', '-')}", str(v)]
    out = tmp_path / "cli"
    assert main(["run", "--algorithm", alg, "--topology", topo, "--problem", "quadratic",
                 "--problem-param", "dim=3", "--steps", "30", "--step-size", "0.05",
                 "--log-every", "10", "--out", str(out), "--quiet", *flags]) == 0
    (d,) = [q for q in out.iterdir() if q.is_dir()]
    for k, v in kw.items():
        assert f"{k}={v}" in d.name.replace("_0.1", ":0.1").replace("qsgd_", "qsgd:")
    np.testing.assert_allclose(Result.load(d).x, ref.x, rtol=RTOL, atol=1e-14)


@pytest.mark.parametrize("old, new, needle", [
    ('compression = "topk:0.1"', 'compression = "topk:2"', "topk:2"),
    ('compression = "topk:0.1"', 'compression = "zip"', "zip"),
    ("link_failure = [0.0, 0.1]", "link_failure = [0.0, 1.5]", "1.5"),
    ("activation = 0.5", "activation = 0", "activation"),
    ("link_failure = [0.0, 0.1]", "link_failure = []", "empty"),
    ('spec = ["random:kout:8,k=2,every=5", "pairwise:uring:8"]',
     'spec = ["random:kout:8,k=0"]', "k"),
])
def test_bad_study_values_exit_2(tmp_path, capsys, old, new, needle):
    p = tmp_path / "bad.toml"
    text = textwrap.dedent(STUDY)
    assert old in text
    p.write_text(text.replace(old, new))
    assert main(["run", str(p), "--out", str(tmp_path / "res")]) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "res").exists()


@pytest.mark.parametrize("flags, needle", [
    (["--algorithm", "choco", "--topology", "uring:8", "--compression", "topk:0"],
     "topk:0"),
    (["--algorithm", "push_pull", "--topology", "exp:8", "--compression", "topk:0.1"],
     "push_pull"),
    (["--algorithm", "push_pull", "--topology", "exp:8", "--link-failure", "1"], "1"),
    (["--algorithm", "push_pull", "--topology", "exp:8", "--activation", "-0.2"], "-0.2"),
    (["--algorithm", "choco", "--topology", "random:kout:8,k=2", "--compression",
      "topk:0.1"], "random:kout:8,k=2"),
])
def test_bad_cli_values_exit_2(tmp_path, capsys, flags, needle):
    assert main(["run", *flags, "--steps", "5", "--step-size", "0.05", "--out",
                 str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1, err


def test_cli_n_with_dynamic_spec(tmp_path, capsys):
    assert main(["run", "--algorithm", "push_pull", "--topology",
                 "random:kout:{n},k=2,every=5", "--n", "8", "--problem", "quadratic",
                 "--steps", "5", "--step-size", "0.05", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["run", "--algorithm", "push_pull", "--topology", "pairwise:uring:8",
                 "--n", "6", "--steps", "5", "--step-size", "0.05", "--quiet"]) == 2
    assert "--n 6" in capsys.readouterr().err


def test_topology_command_dynamic_and_server(capsys):
    assert main(["topology", "random:kout:8,k=2,every=5"]) == 0
    out = capsys.readouterr().out
    assert "round-0 matrix" in out and "every 5 round" in out
    assert main(["topology", "pairwise:uring:8", "--json"]) == 0
    assert "note" in json.loads(capsys.readouterr().out)
    assert main(["topology", "server:8", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == 8


def test_from_run_json_reproduces_a_compressed_run(study_dir, capsys):
    _, root = study_dir
    (d,) = [q for q in root.iterdir() if q.name.startswith("directed--cpp") and
            "qsgd_4" in q.name]
    assert main(["run", "--from", str(d), "--quiet"]) == 0
    assert "identical history" in capsys.readouterr().out

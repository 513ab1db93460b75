"""Study declarations: parsing, validation messages, grid expansion and run names."""

from __future__ import annotations

import textwrap

import pytest

from decopt import study as st

BASE = """
[study]
steps = 20
log_every = 5
seeds = [0, 1]

[problem]
name = "quadratic"
dim = 3

[topology]
spec = ["exp:{n}", "ring:{n}"]
n = [4, 8]

[[algorithm]]
name = "push_pull"
step_size = [0.05, 0.1]

[[algorithm]]
name = "pull_diag_gt"
step_size = "0.4/n"
rounds = [1, 5]
"""


def write(tmp_path, text, name="s.toml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def test_grid_expansion_and_names(tmp_path):
    s = st.load_study(write(tmp_path, BASE, "grid.toml"))
    assert s.name == "grid"
    # 2 specs x 2 n x (2 push_pull steps + 2 pull_diag_gt rounds) x 2 seeds
    assert len(s.runs) == 2 * 2 * 4 * 2
    names = [r.name for r in s.runs]
    assert len(set(names)) == len(names)
    assert "push_pull[alpha=0.05]--exp[n=4]--seed=0" in names
    assert "pull_diag_gt[alpha=0.05,R=5]--ring[n=8]--seed=1" in names   # 0.4/8
    r = next(r for r in s.runs if r.name == "pull_diag_gt[alpha=0.1]--exp[n=4]--seed=1")
    assert r.step_size == pytest.approx(0.1) and r.step_size_expr == "0.4/n"
    assert r.n == 4 and r.problem_params["n"] == 4 and r.problem_params["seed"] == 0
    assert r.run_kwargs()["seed"] == 1


def test_same_graph_and_data_for_every_algorithm(tmp_path):
    s = st.load_study(write(tmp_path, BASE))
    by_seed = {}
    for r in s.runs:
        if r.n == 8 and r.topology == "ring:8":
            by_seed.setdefault(r.seeds[0], set()).add(
                (r.topology, tuple(sorted(r.problem_params.items()))))
    assert all(len(v) == 1 for v in by_seed.values())


def test_seed_placeholders_and_batching(tmp_path):
    text = BASE.replace('spec = ["exp:{n}", "ring:{n}"]', 'spec = "er:{n},p=0.5,seed={seed}"')
    text = text.replace('dim = 3', 'dim = 3\nseed = "{seed}"')
    s = st.load_study(write(tmp_path, text))
    r = next(r for r in s.runs if r.seeds == [1] and r.n == 4)
    assert r.topology == "er:4,p=0.5,seed=1" and r.problem_params["seed"] == 1
    bad = text.replace("seeds = [0, 1]", "seeds = [0, 1]\nbatch_seeds = true")
    with pytest.raises(ValueError, match="batch_seeds"):
        st.load_study(write(tmp_path, bad))
    batched = st.load_study(write(tmp_path, BASE.replace(
        "seeds = [0, 1]", "seeds = [0, 1]\nbatch_seeds = true")))
    assert all(r.batched and r.seeds == [0, 1] for r in batched.runs)
    assert batched.runs[0].name.endswith("--seeds=0,1")


def test_quick_overrides_and_budget(tmp_path):
    text = BASE + """
[quick]
study = { steps = 10 }
topology = { n = [4] }
algorithm = [{ name = "pull_diag_gt", step_size = 0.01, rounds = [1, 5] }]
"""
    text = text.replace("log_every = 5", "log_every = 5\nbudget = \"rounds\"")
    full = st.load_study(write(tmp_path, text))
    quick = st.load_study(write(tmp_path, text), quick=True)
    assert quick.quick and quick.dir_name.endswith("_quick")
    assert {r.n for r in quick.runs} == {4} and {r.algorithm for r in quick.runs} == {
        "pull_diag_gt"}
    # budget = "rounds": a Pull-Diag-GT iteration mixes twice, R rounds each
    mg = [r for r in quick.runs if r.rounds == 5]
    assert mg and all(r.steps == 1 and r.log_every == 1 for r in mg)   # 10 // 10, 5 // 10
    plain = [r for r in quick.runs if r.rounds == 1]
    assert plain and all(r.steps == 5 and r.log_every == 2 for r in plain)  # 10 // 2, 5 // 2
    assert len(full.runs) > len(quick.runs)


def test_groups(tmp_path):
    text = """
    [study]
    steps = 10
    [problem]
    name = "quadratic"
    [topology]
    spec = "exp:4"
    [[algorithm]]
    name = "push_pull"
    step_size = 0.1
    [[group]]
    name = "a"
    [[group]]
    name = "b"
    problem = { name = "logistic", samples_per_node = "40/n" }
    study = { steps = 5 }
    """
    s = st.load_study(write(tmp_path, text))
    assert [r.name.split("--")[0] for r in s.runs] == ["a", "b"]
    b = s.runs[1]
    assert b.problem == "logistic" and b.problem_params["samples_per_node"] == 10
    assert b.steps == 5 and s.runs[0].steps == 10


@pytest.mark.parametrize("value, n, expected", [
    (0.05, 16, 0.05), ("0.05", 16, 0.05), ("0.05/n", 16, 0.003125), ("2e-3 / n", 4, 5e-4),
    ("0.5*n", 4, 2.0), (1, 3, 1.0)])
def test_step_size_grammar(value, n, expected):
    assert st.parse_step_size(value, n) == pytest.approx(expected)


@pytest.mark.parametrize("value", ["0.05/m", "__import__('os')", "1/(n)", "-0.1", "0",
                                   "n/2", "", "0.1/n/n"])
def test_step_size_grammar_rejects(value):
    with pytest.raises(ValueError):
        st.parse_step_size(value, 4)


@pytest.mark.parametrize("old, new, pattern", [
    ("steps = 20", "stpes = 20", r"unknown key 'stpes' in \[study\]; did you mean 'steps'"),
    ("steps = 20", 'steps = "20"', r"\[study\] steps must be an integer"),
    ("steps = 20", "", r"missing required key 'steps' in \[study\]"),
    ('name = "push_pull"', 'name = "push_pul"', r"unknown algorithm; did you mean 'push_pull'"),
    ('name = "quadratic"', 'name = "quadratik"', r"unknown problem; did you mean 'quadratic'"),
    ("dim = 3", "dimm = 3", r"unknown key 'dimm' in \[problem\]; did you mean 'dim'"),
    ('spec = ["exp:{n}", "ring:{n}"]', 'spec = ["exq:{n}"]', r"unknown family 'exq'"),
    ("n = [4, 8]", "n = [4, 8]\nweigths = 'uniform'", r"did you mean 'weights'"),
    ("rounds = [1, 5]", "rounds = [0]", r"rounds\[0\] must be an integer >= 1"),
    ("seeds = [0, 1]", "seeds = [0, 0]", r"repeated seeds"),
    ("seeds = [0, 1]", "seeds = []", r"must not be an empty list"),
    ("dim = 3", "dim = 3\nn = 4", r"cannot set 'n'"),
    ('spec = ["exp:{n}", "ring:{n}"]', 'spec = "exp:{m}"', r"unknown placeholder \{m\}"),
    ("[[algorithm]]\nname = \"push_pull\"", "[[algorithm]]\nname = \"push_pull\"\n"
     "options = { frm = 1 }", r"unknown option"),
])
def test_validation_messages(tmp_path, old, new, pattern):
    assert old in BASE
    p = write(tmp_path, BASE.replace(old, new, 1), "bad.toml")
    with pytest.raises((ValueError, TypeError), match=pattern) as e:
        st.load_study(p)
    assert str(p) in str(e.value)          # names the file


def test_invalid_toml_and_missing_file(tmp_path):
    with pytest.raises(ValueError, match="invalid TOML"):
        st.load_study(write(tmp_path, "[study\nsteps=1"))
    with pytest.raises(ValueError, match="does not exist"):
        st.load_study(tmp_path / "nope.toml")


def test_topology_labels():
    assert st.topology_label("exp:16") == "exp[n=16]"
    assert st.topology_label("grid:4x4") == "grid[4x4]"
    assert st.topology_label("er:8,p=0.3,seed=1") == "er[n=8,p=0.3,seed=1]"
    assert st.grid_shape(8) == (2, 4) and st.grid_shape(16) == (4, 4)


def test_shipped_studies_parse():
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent / "experiments"
    files = sorted(root.glob("*.toml"))
    assert files
    for f in files:
        for quick in (False, True):
            s = st.load_study(f, quick=quick)
            assert s.runs


def test_demo_file_matches_experiments():
    from pathlib import Path

    from decopt.cli import demo_file
    root = Path(__file__).resolve().parent.parent / "experiments"
    assert demo_file().read_text() == (root / "demo.toml").read_text()

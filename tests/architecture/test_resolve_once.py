"""A run is resolved once: one ``topologies.from_spec`` and one ``algorithms.make`` per
run for ``decopt run --algorithm ...``, ``decopt run --from``, a study and ``decopt.run``
(issue 11; before the resolve layer a single CLI run parsed its topology 4 times and
built its algorithm 4 times, a one-run study 3 and 4 times)."""

from __future__ import annotations

import pytest

import decopt
import decopt.algorithms as algs
import topologies as tp
from decopt.cli import main


@pytest.fixture
def counts(monkeypatch):
    c = {"from_spec": 0, "make": 0}
    fs, es, mk = tp.from_spec, tp.edges_from_spec, algs.make

    def from_spec(*a, **k):
        c["from_spec"] += 1
        return fs(*a, **k)

    def edges_from_spec(*a, **k):
        # built-in families skip networkx and parse straight to edge arrays (issue 14):
        # that is the same one parse, counted under the same name
        c["from_spec"] += 1
        return es(*a, **k)

    def make(*a, **k):
        c["make"] += 1
        return mk(*a, **k)
    monkeypatch.setattr(tp, "from_spec", from_spec)
    monkeypatch.setattr(tp, "edges_from_spec", edges_from_spec)
    monkeypatch.setattr(algs, "make", make)
    return c


ARGS = ["run", "--algorithm", "push_pull", "--topology", "exp:16", "--problem", "quadratic",
        "--steps", "6", "--step-size", "0.05", "--quiet"]


def test_cli_single_run_parses_once(counts, tmp_path, capsys):
    assert main(ARGS + ["--out", str(tmp_path)]) == 0
    assert counts == {"from_spec": 1, "make": 1}


def test_from_run_json_parses_once(counts, tmp_path, capsys):
    assert main(ARGS + ["--out", str(tmp_path)]) == 0
    run_json = next(tmp_path.glob("*/run.json"))
    counts.update(from_spec=0, make=0)
    assert main(["run", "--from", str(run_json), "--quiet"]) == 0
    assert counts == {"from_spec": 1, "make": 1}
    assert "identical history" in capsys.readouterr().out


def test_study_parses_each_spec_and_algorithm_once(counts, tmp_path, capsys):
    """Three runs (three step sizes) on one topology: the spec is parsed once and the
    algorithm built once from its name; the runs copy it with their step sizes."""
    toml = tmp_path / "s.toml"
    toml.write_text('[study]\nname = "s"\nsteps = 6\n[problem]\nname = "quadratic"\n'
                    '[topology]\nspec = "exp:16"\n[[algorithm]]\nname = "push_pull"\n'
                    'step_size = [0.01, 0.02, 0.05]\n')
    assert main(["run", str(toml), "--out", str(tmp_path), "--quiet"]) == 0
    assert counts == {"from_spec": 1, "make": 1}


def test_decopt_run_parses_once(counts):
    decopt.run("push_pull", decopt.problems.quadratic(n=8), "exp:8", steps=3,
               step_size=0.1)
    assert counts == {"from_spec": 1, "make": 1}


def test_counter_sees_a_second_parse(counts):
    """Negative control: the counters do count (a second resolution shows up)."""
    decopt.run("push_pull", decopt.problems.quadratic(n=8), "exp:8", steps=1, step_size=0.1)
    decopt.run("push_pull", decopt.problems.quadratic(n=8), "exp:8", steps=1, step_size=0.1)
    assert counts == {"from_spec": 2, "make": 2}

"""Users' own graphs through decopt: networkx graphs with any node labels, file: specs in
Python, TOML studies and the CLI.

Exactness tolerance: deterministic gradients on heterogeneous quadratics reach x* to
round-off; 1e-10 leaves a wide margin over the ~1e-15 observed and fails for any method or
mixing that is off by a visible amount.
"""

import json
import subprocess
import sys

import networkx as nx
import numpy as np
import pytest

import decopt
import topologies as tp

TOL = 1e-10


def test_networkx_labels_are_relabelled_sorted_and_recorded(tmp_path):
    G = nx.DiGraph([("c", "a"), ("a", "b"), ("b", "c"), ("b", "a")])
    prob = decopt.problems.quadratic(n=3, seed=1)
    res = decopt.run("push_pull", prob, G, steps=300, step_size=0.2)
    assert res.config["node_labels"] == ["a", "b", "c"]
    assert res.final("dist") < TOL
    # same numbers as the graph relabelled by hand (sorted order: a=0, b=1, c=2)
    H = nx.relabel_nodes(G, {"a": 0, "b": 1, "c": 2})
    ref = decopt.run("push_pull", prob, H, steps=300, step_size=0.2)
    np.testing.assert_array_equal(res.x, ref.x)
    assert "node_labels" not in ref.config
    # a different (wrong) order gives different iterates, so the check above can fail
    K = nx.relabel_nodes(G, {"a": 2, "b": 1, "c": 0})
    other = decopt.run("push_pull", prob, K, steps=300, step_size=0.2)
    assert not np.array_equal(other.x, res.x)
    # the labels reach run.json
    res.save(tmp_path / "run")
    saved = json.loads((tmp_path / "run" / "run.json").read_text())
    assert saved["config"]["node_labels"] == ["a", "b", "c"]


def test_tuple_labels_of_an_undirected_grid():
    res = decopt.run("gt", decopt.problems.quadratic(n=4, seed=2), nx.grid_2d_graph(2, 2),
                     steps=300, step_size=0.3)
    assert res.config["node_labels"] == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert res.final("dist") < TOL


def test_file_edge_list_runs_from_python(tmp_path):
    p = tmp_path / "g.edges"
    p.write_text("# chorded ring on labels 100..104\n100 101\n101 102\n102 103\n103 104\n"
                 "104 100\n102 100\n")
    res = decopt.run("pull_diag_gt", decopt.problems.quadratic(n=5, seed=3), f"file:{p}",
                     steps=2000, step_size=0.05)
    assert res.config["topology"] == f"file:{p}"
    assert res.config["node_labels"] == [100, 101, 102, 103, 104]
    assert res.final("dist") < TOL


STUDY = """
[study]
name = "filegraph"
steps = 400
log_every = 100
seeds = [0]

[problem]
name = "quadratic"
dim = 3

[topology]
spec = "file:ring.edges"

[[algorithm]]
name = "push_pull"
step_size = 0.2
"""


def test_file_edge_list_runs_from_toml_and_cli(tmp_path):
    (tmp_path / "ring.edges").write_text("0 1\n1 2\n2 3\n3 0\n1 3\n")
    (tmp_path / "study.toml").write_text(STUDY)
    r = subprocess.run([sys.executable, "-m", "decopt", "run", "study.toml", "--out", "out"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    runs = list((tmp_path / "out").rglob("run.json"))
    assert len(runs) == 1
    doc = json.loads(runs[0].read_text())
    assert doc["config"]["topology"] == "file:ring.edges"
    r = subprocess.run([sys.executable, "-m", "decopt", "topology", "file:ring.edges",
                        "--json"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["n"] == 4
    # a malformed file: exit status 2 and the file and line in the message
    (tmp_path / "ring.edges").write_text("0 1\n1 two\n")
    r = subprocess.run([sys.executable, "-m", "decopt", "topology", "file:ring.edges"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "line 2" in r.stderr and "ring.edges" in r.stderr


@pytest.mark.parametrize("G", [nx.DiGraph([("a", "b")]),
                               nx.DiGraph([(1, 2), (2, 1), (3, 4), (4, 3)])])
def test_disconnected_user_graph_names_two_labels(G):
    with pytest.raises(ValueError, match="no path"):
        decopt.run("push_pull", decopt.problems.quadratic(n=G.number_of_nodes()), G,
                   steps=1, step_size=0.1)

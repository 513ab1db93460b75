"""Tutorial: your own graph, from an edge-list file or a networkx graph."""

import json
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import scipy.sparse as sp

import decopt
import topologies as tp

# --- an edge list: one edge "j i" per line, meaning j -> i (j can send to i) ---------
Path("campus.edges").write_text("""\
# a directed ring of five routers, labelled by their numbers, plus one shortcut
101 102
102 103
103 104
104 105
105 101
103 101   # 103 can also send to 101
""")

G = tp.from_spec("file:campus.edges")        # the same string works in TOML and the CLI
print("nodes 0..4 stand for", G.graph["labels"])
A = tp.row_stochastic(G)                     # receiver-first: A[i, j] > 0 iff j -> i or i = j
m = tp.describe(A)
print(f"kappa_A = {m['kappa']:.3f}, beta_A = {m['beta']:.3f}")

prob = decopt.problems.quadratic(n=5, dim=3, seed=0)
res = decopt.run("push_pull", prob, "file:campus.edges", steps=1000, step_size=0.1)
print(f"push_pull on the file graph: max_i ||x_i - x*|| = {res.final('err_max'):.1e}")
print("labels recorded with the run:", res.config["node_labels"])

# --- a mixing matrix of your own, receiver-first, in a scipy sparse .npz ------------
W = sp.csr_matrix(np.array([[0.6, 0.0, 0.4],
                            [0.3, 0.7, 0.0],
                            [0.0, 0.2, 0.8]]))           # rows sum to 1: a row-stochastic A
sp.save_npz("mixing.npz", W)
res_w = decopt.run("pull_diag_gt", decopt.problems.quadratic(n=3, seed=1), "file:mixing.npz",
                   steps=2000, step_size=0.05)
print(f"pull_diag_gt with the file's weights: error {res_w.final('err_max'):.1e}")

# --- a networkx graph with any node labels ---------------------------------------------
city = nx.DiGraph()
city.add_edges_from([("Lyon", "Paris"), ("Paris", "Lille"), ("Lille", "Lyon"),
                     ("Paris", "Lyon"), ("Nantes", "Paris"), ("Lyon", "Nantes")])
res_city = decopt.run("push_pull", decopt.problems.quadratic(n=4, seed=2), city,
                      steps=1000, step_size=0.1)
order = res_city.config["node_labels"]       # sorted labels: row k of res.x is order[k]
print("row order of res.x:", order)
print("Paris holds", res_city.x[order.index("Paris")])

# --- the same edge list in a TOML study, run by the command line ----------------------
Path("study.toml").write_text("""\
[study]
name = "campus"
steps = 1000
log_every = 100
seeds = [0]

[problem]
name = "quadratic"
dim = 3

[topology]
spec = "file:campus.edges"

[[algorithm]]
name = "push_pull"
step_size = 0.1
""")
out = subprocess.run([sys.executable, "-m", "decopt", "run", "study.toml", "--out", "results"],
                     capture_output=True, text=True, check=True)
print("\n".join(out.stdout.splitlines()[-4:]))
run_json = next(Path("results").rglob("run.json"))
print("the study ran on", json.loads(run_json.read_text())["config"]["topology"])

"""Package conventions: docstrings, public names, no decopt import, no global RNG."""

import ast
import inspect
import pathlib
import subprocess
import sys

import numpy as np

import topologies as tp

CONVENTION = ("Edge j -> i means j can send to i. Mixing matrices are receiver-first: "
              "M[i, j] > 0 only if j -> i or j == i.")
PUBLIC = """directed_ring undirected_ring ring_with_chords skewed_ring skewed_chain
skewed_chain_matrix exponential one_peer_exponential grid torus star complete erdos_renyi
random_k_out random_geometric nearest_neighbour from_edges from_digraph from_spec FAMILIES
spec_help row_stochastic column_stochastic random_integer_weights metropolis lazy
default_weights check_stochastic as_matrix check_strongly_connected perron_vector kappa beta
slem theta lemma7_threshold mg_rounds is_strongly_connected is_primitive describe""".split()
# functions that take or return a matrix (the others take only numbers)
NO_MATRIX = {"FAMILIES", "spec_help", "lemma7_threshold", "mg_rounds"}


def _normalise(text):
    return " ".join(text.split())


def test_public_names():
    for name in PUBLIC:
        assert hasattr(tp, name), name
    assert set(PUBLIC) <= set(tp.__all__)


def test_docstrings_repeat_the_convention():
    for name in PUBLIC:
        if name in NO_MATRIX:
            continue
        doc = _normalise(inspect.getdoc(getattr(tp, name)) or "")
        assert CONVENTION in doc, name
    for name in PUBLIC:
        obj = getattr(tp, name)
        if callable(obj):
            assert inspect.getdoc(obj), name


def test_topologies_never_imports_decopt():
    root = pathlib.Path(tp.__file__).parent
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n.split(".")[0] == "decopt" for n in names), path
    code = "import sys, topologies; print('decopt' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_no_global_random_state_and_no_asserts():
    root = pathlib.Path(tp.__file__).parent
    for path in root.rglob("*.py"):
        text = path.read_text()
        assert "np.random.seed" not in text and "import random" not in text, path
        tree = ast.parse(text)
        assert not any(isinstance(n, ast.Assert) for n in ast.walk(tree)), path
    state = np.random.get_state()[1].copy()
    tp.erdos_renyi(10, 0.4, seed=1)
    tp.random_integer_weights(tp.exponential(8), seed=2)
    assert np.array_equal(np.random.get_state()[1], state)

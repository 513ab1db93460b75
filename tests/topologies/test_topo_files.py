"""file:PATH topologies: edge lists, scipy sparse .npz and Matrix Market .mtx matrices.

Matrices read back from files are compared exactly (the files store float64 values;
Matrix Market writes them with 17 significant digits, which round-trip float64).
"""

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

import topologies as tp


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_edge_list_with_comments_and_own_labels(tmp_path):
    p = write(tmp_path, "g.edges", "# a ring on labels 10, 20, 30 plus a chord\n"
                                   "10 20\n\n20 30   # trailing comment\n30 10\n10,30\n")
    G = tp.from_spec(f"file:{p}")
    assert G.graph["labels"] == [10, 20, 30]
    assert sorted(G.edges) == [(0, 1), (0, 2), (1, 2), (2, 0)]
    assert G.graph["spec"] == f"file:{p}" and G.graph["source"] == "edges"
    # direction: "j i" is j -> i, so in the row-stochastic A node 1 (label 20) pulls from 0
    A = tp.row_stochastic(G).toarray()
    assert A[1, 0] > 0 and A[0, 1] == 0


def test_edge_list_on_0_to_n_minus_1_keeps_ids(tmp_path):
    p = write(tmp_path, "g.txt", "0 1\n1 2\n2 3\n3 0\n")
    G = tp.from_spec(f"file:{p}")
    assert "labels" not in G.graph
    assert sorted(G.edges) == sorted(tp.directed_ring(4).edges)


@pytest.mark.parametrize("text,match", [
    ("0 1\n1 x\n", r"g.edges'?: line 2: expected two integer node labels 'j i' \(edge "
                   r"j -> i\), got '1 x'"),
    ("0 1\n1 2 3\n", "line 2: expected two integer"),
    ("# only a comment\n\n", "holds no edges"),
    ("0 1\n1 2\n", "g.edges.*no path"),            # not strongly connected
    ("0 1.5\n", "line 1"),
])
def test_malformed_edge_lists_name_file_and_line(tmp_path, text, match):
    p = write(tmp_path, "g.edges", text)
    with pytest.raises(ValueError, match=match):
        tp.from_spec(f"file:{p}")


def test_missing_file_and_empty_path(tmp_path):
    with pytest.raises(ValueError, match="nope.edges'?: no such file"):
        tp.from_spec(f"file:{tmp_path / 'nope.edges'}")
    with pytest.raises(ValueError, match="needs a path"):
        tp.from_spec("file:")
    with pytest.raises(TypeError):
        tp.from_file(3)


@pytest.mark.parametrize("suffix", [".npz", ".mtx"])
def test_mixing_matrix_files_keep_their_weights(tmp_path, suffix):
    A = tp.default_weights(tp.skewed_chain(6), "row")   # special, non-uniform weights
    p = tmp_path / f"a{suffix}"
    if suffix == ".npz":
        sp.save_npz(p, sp.csr_matrix(A))
    else:
        scipy.io.mmwrite(p, sp.coo_matrix(A))
    G = tp.from_spec(f"file:{p}")
    assert G.graph["source"] == "mixing" and set(G.graph["weights"]) == {"row"}
    got = tp.default_weights(G, "row")
    np.testing.assert_array_equal(got.toarray(), A.toarray())
    # the uniform rule on the same support differs (so the check above can fail)
    assert not np.array_equal(tp.row_stochastic(G).toarray(), A.toarray())
    # the other side uses the uniform rule on the file's support
    np.testing.assert_array_equal(tp.default_weights(G, "column").toarray(),
                                  tp.column_stochastic(G).toarray())


def test_adjacency_matrix_file_is_receiver_first(tmp_path):
    # M[i, j] = 1 for edge j -> i: a directed ring 0 -> 1 -> 2 -> 0, given receiver-first
    M = sp.csr_matrix(np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0]], dtype=float) * 3.0)
    p = tmp_path / "adj.npz"
    sp.save_npz(p, M)
    G = tp.from_spec(f"file:{p}")
    assert G.graph["source"] == "adjacency" and "weights" not in G.graph
    assert sorted(G.edges) == [(0, 1), (1, 2), (2, 0)]


@pytest.mark.parametrize("M,match", [
    (np.array([[0.5, 0.5, 0], [0, 1, -0.5], [1, 0, 0]]), r"entry \(1, 2\) is -0.5, expected >= 0"),
    (np.ones((2, 3)), "2 x 3 matrix, expected a square one"),
])
def test_bad_matrix_files(tmp_path, M, match):
    p = tmp_path / "m.mtx"
    scipy.io.mmwrite(p, sp.coo_matrix(M))
    with pytest.raises(ValueError, match=match):
        tp.from_spec(f"file:{p}")


def test_unreadable_npz(tmp_path):
    p = write(tmp_path, "m.npz", "not a zip file")
    with pytest.raises(ValueError, match="m.npz'?: cannot be read as a scipy.sparse.save_npz"):
        tp.from_spec(f"file:{p}")


def test_spec_help_mentions_file():
    assert "file:PATH" in tp.spec_help()

"""Weight rules and the validation helpers."""

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

import topologies as tp

# Stochasticity of rules built from 1/(1+d) fractions: sums of <= n doubles, a few ulps.
SUM_TOL = 1e-13


def _sums(M, axis):
    return np.asarray(M.sum(axis=axis)).ravel()


def _support_ok(G, M):
    """M[i, j] > 0 exactly on edges j -> i and the diagonal."""
    n = G.number_of_nodes()
    expected = np.eye(n, dtype=bool)
    for u, v in G.edges:
        expected[v, u] = True
    D = M.toarray()
    return np.array_equal(D > 0, expected) and np.all(D >= 0)


GRAPHS = [tp.exponential(6), tp.skewed_ring(7), tp.star(5), tp.grid(3, 3),
          tp.erdos_renyi(9, 0.3, seed=0), tp.directed_ring(1), tp.directed_ring(2)]


@pytest.mark.parametrize("G", GRAPHS, ids=lambda G: G.graph["name"])
def test_uniform_rules(G):
    A = tp.row_stochastic(G)
    B = tp.column_stochastic(G)
    assert isinstance(A, sp.csr_array) and A.dtype == np.float64
    np.testing.assert_allclose(_sums(A, 1), 1, atol=SUM_TOL)
    np.testing.assert_allclose(_sums(B, 0), 1, atol=SUM_TOL)
    assert _support_ok(G, A) and _support_ok(G, B)
    indeg = dict(G.in_degree())
    outdeg = dict(G.out_degree())
    D, E = A.toarray(), B.toarray()
    for u, v in G.edges:  # u -> v
        assert D[v, u] == pytest.approx(1 / (1 + indeg[v]), abs=SUM_TOL)
        assert E[v, u] == pytest.approx(1 / (1 + outdeg[u]), abs=SUM_TOL)


def test_single_node_matrices():
    G = tp.complete(1)
    for M in (tp.row_stochastic(G), tp.column_stochastic(G), tp.metropolis(G),
              tp.default_weights(G, "doubly"), *tp.random_integer_weights(G, seed=0)):
        assert M.toarray().tolist() == [[1.0]]


def test_random_integer_weights():
    G = tp.erdos_renyi(10, 0.3, seed=4)
    A, B = tp.random_integer_weights(G, low=1, high=3, seed=7)
    A2, B2 = tp.random_integer_weights(G, low=1, high=3, seed=7)
    assert (A != A2).nnz == 0 and (B != B2).nnz == 0
    np.testing.assert_allclose(_sums(A, 1), 1, atol=SUM_TOL)
    np.testing.assert_allclose(_sums(B, 0), 1, atol=SUM_TOL)
    assert _support_ok(G, A) and _support_ok(G, B)
    # Both normalise one integer matrix W: A = Diag(r)^-1 W, B = W Diag(c)^-1, so on a
    # complete support log(A / B)[i, j] = log c_j - log r_i is additive (double-centred = 0)
    A5, B5 = tp.random_integer_weights(tp.complete(5), low=1, high=3, seed=2)
    L = np.log(A5.toarray() / B5.toarray())
    centred = L - L.mean(0, keepdims=True) - L.mean(1, keepdims=True) + L.mean()
    np.testing.assert_allclose(centred, 0, atol=1e-13)  # logs of O(1) values: ~ulps
    W = A5.toarray() * (1 / A5.toarray().min(axis=1, keepdims=True))
    assert W.max() <= 3 + 1e-12  # row ratios within {1, 2, 3}
    As, Bs = tp.random_integer_weights([G, G], seed=1)
    assert len(As) == len(Bs) == 2 and (As[0] != As[1]).nnz > 0
    with pytest.raises(ValueError, match=r"high must be >= low = 3, got high = 2"):
        tp.random_integer_weights(G, low=3, high=2)
    with pytest.raises(ValueError, match=r"low must be an integer >= 1, got 0"):
        tp.random_integer_weights(G, low=0)


def test_random_integer_weights_values():
    G = tp.directed_ring(5)
    A, B = tp.random_integer_weights(G, low=1, high=2, seed=3)
    D = A.toarray()
    # each row has two entries from {1, 2}: ratios are 1, 2 or 1/2
    for i in range(5):
        vals = D[i][D[i] > 0]
        assert len(vals) == 2 and vals.max() / vals.min() in (1.0, 2.0)


def test_metropolis():
    G = tp.grid(3, 4)
    W = tp.metropolis(G)
    np.testing.assert_allclose(_sums(W, 0), 1, atol=SUM_TOL)
    np.testing.assert_allclose(_sums(W, 1), 1, atol=SUM_TOL)
    assert abs(W - W.T).max() == 0
    assert _support_ok(G, W)
    deg = dict(G.out_degree())
    assert W[0, 1] == pytest.approx(1 / (1 + max(deg[0], deg[1])))
    assert isinstance(tp.metropolis(nx.path_graph(3)), sp.csr_array)  # undirected Graph ok
    with pytest.raises(ValueError, match=r"edge 0 -> 1 has no reverse 1 -> 0"):
        tp.metropolis(tp.directed_ring(3))


def test_lazy():
    A = tp.row_stochastic(tp.skewed_ring(8))
    L = tp.lazy(A, 0.5)
    np.testing.assert_allclose(L.toarray(), 0.5 * np.eye(8) + 0.5 * A.toarray(), atol=1e-16)
    np.testing.assert_allclose(tp.perron_vector(L), tp.perron_vector(A), atol=1e-14)
    assert isinstance(tp.lazy(np.eye(2), 0.0), sp.csr_array)
    assert len(tp.lazy([A, A], 0.2)) == 2
    with pytest.raises(ValueError, match=r"theta must be in \[0, 1\), got 1"):
        tp.lazy(A, 1.0)
    with pytest.raises(TypeError, match=r"theta must be a real number, got 'a'"):
        tp.lazy(A, "a")


def test_default_weights():
    G = tp.exponential(12)
    W = tp.default_weights(G, "doubly")  # circulant: uniform row weights are doubly stochastic
    np.testing.assert_allclose(W.toarray(), tp.row_stochastic(G).toarray())
    U = tp.undirected_ring(5)
    np.testing.assert_allclose(tp.default_weights(U, "doubly").toarray(),
                               tp.metropolis(U).toarray())
    assert (tp.default_weights(G, "column") != tp.column_stochastic(G)).nnz == 0
    with pytest.raises(ValueError, match=r"not balanced \(column \d+ of its uniform row "
                                         r"weights sums to"):
        tp.default_weights(tp.skewed_ring(6), "doubly")
    with pytest.raises(ValueError, match=r"side must be one of .* got 'rows'"):
        tp.default_weights(G, "rows")
    Ws = tp.default_weights(tp.one_peer_exponential(8), "doubly")
    assert len(Ws) == 3
    # a stale stored matrix is reported, not silently used
    H = tp.skewed_chain(5)
    H.remove_edge(0, 3)
    with pytest.raises(ValueError, match=r"does not match the graph: entry \(3, 0\)"):
        tp.default_weights(H, "row")


def test_rules_accept_lists():
    Gs = tp.one_peer_exponential(8)
    for rule in (tp.row_stochastic, tp.column_stochastic, tp.metropolis):
        out = rule(Gs[-1:]) if rule is tp.metropolis else rule(Gs)
        assert isinstance(out, list) and all(isinstance(M, sp.csr_array) for M in out)
    with pytest.raises(ValueError, match="empty list"):
        tp.row_stochastic([])
    with pytest.raises(ValueError, match=r"same number of nodes, got \[3, 4\]"):
        tp.row_stochastic([tp.directed_ring(3), tp.directed_ring(4)])


def test_weight_rules_need_nodes_0_to_n_minus_1():
    G = nx.DiGraph([("a", "b"), ("b", "a")])
    with pytest.raises(ValueError, match=r"nodes must be the integers 0..1, found node 'a'"):
        tp.row_stochastic(G)
    with pytest.raises(TypeError, match="expected a networkx DiGraph"):
        tp.row_stochastic(np.eye(3))


# ------------------------------------------------------------------ validation helpers
def test_check_stochastic_messages():
    A = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5], [0.0, 0.33, 0.5]])
    with pytest.raises(ValueError, match=r"row 2 of A sums to 0.83, expected 1"):
        tp.check_stochastic(A, "row")
    with pytest.raises(ValueError, match=r"column 0 of B sums to 0.7, expected 1"):
        tp.check_stochastic(A, "column")
    with pytest.raises(ValueError, match=r"row 2 of W sums to 0.83"):
        tp.check_stochastic(A, "doubly")
    with pytest.raises(ValueError, match=r"A is 2 x 3, expected a square matrix"):
        tp.check_stochastic(np.ones((2, 3)) / 3)
    with pytest.raises(ValueError, match=r"entry \(0, 1\) of A is -0.5, expected >= 0"):
        tp.check_stochastic([[1.5, -0.5], [0, 1]])
    with pytest.raises(ValueError, match=r"entry \(1, 1\) of A is nan, expected a finite"):
        tp.check_stochastic([[1, 0], [0, np.nan]])
    with pytest.raises(ValueError, match=r"side must be one of .* got 'diag'"):
        tp.check_stochastic(np.eye(2), "diag")
    with pytest.raises(ValueError, match=r"row 0 of P sums to"):
        tp.check_stochastic(2 * np.eye(2), name="P")
    M = tp.check_stochastic(np.eye(3), "doubly")
    assert isinstance(M, sp.csr_array)
    tp.check_stochastic(np.array([[1 + 1e-12, 0], [0, 1]]), atol=1e-10)


def test_as_matrix():
    M = tp.as_matrix([[1, 0], [0, 1]])
    assert isinstance(M, sp.csr_array) and M.dtype == np.float64 and M.nnz == 2
    S = sp.csr_matrix(np.array([[0.0, 1.0], [1.0, 0.0]]))
    assert tp.as_matrix(S).nnz == 2
    C = sp.csr_array(np.eye(2))
    assert tp.as_matrix(C) is C
    with pytest.raises(TypeError, match="networkx graph"):
        tp.as_matrix(tp.directed_ring(3))
    with pytest.raises(ValueError, match=r"expected a 2-D matrix, got an array of shape \(3,\)"):
        tp.as_matrix(np.ones(3))
    with pytest.raises(TypeError, match="complex"):
        tp.as_matrix(np.eye(2) * 1j)
    with pytest.raises(TypeError, match="numeric"):
        tp.as_matrix([["a", "b"]])


def test_check_strongly_connected():
    tp.check_strongly_connected(tp.directed_ring(5))
    tp.check_strongly_connected(tp.complete(1))
    G = nx.DiGraph([(0, 1), (1, 2), (2, 0), (3, 0)])
    with pytest.raises(ValueError, match=r"no path from node 0 to node 3"):
        tp.check_strongly_connected(G)
    G = nx.DiGraph([(0, 1), (1, 2), (2, 0), (0, 3)])
    with pytest.raises(ValueError, match=r"no path from node 3 to node 0"):
        tp.check_strongly_connected(G)
    with pytest.raises(ValueError, match=r"0 nodes, expected at least 1"):
        tp.check_strongly_connected(nx.DiGraph())
    # matrices are read receiver-first: M[1, 0] > 0 is the edge 0 -> 1 only
    with pytest.raises(ValueError, match=r"no path from node 1 to node 0"):
        tp.check_strongly_connected(np.array([[1.0, 0.0], [0.5, 0.5]]))
    assert not tp.is_strongly_connected(np.array([[1.0, 0.0], [0.5, 0.5]]))

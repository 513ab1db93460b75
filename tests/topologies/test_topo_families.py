"""Structure of the digraph families (edges, sizes, seeds, n = 1 and 2, user graphs)."""

import networkx as nx
import numpy as np
import pytest

import topologies as tp

# Exact rational weights (1/2, 1/3) compared after float arithmetic: 1e-15 is a few ulps.
EXACT = 1e-15

DETERMINISTIC = [tp.directed_ring, tp.undirected_ring, tp.ring_with_chords, tp.skewed_ring,
                 tp.skewed_chain, tp.exponential, tp.star, tp.complete]


@pytest.mark.parametrize("family", DETERMINISTIC)
@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 16])
def test_deterministic_families_are_strongly_connected_digraphs(family, n):
    G = family(n)
    assert isinstance(G, nx.DiGraph)
    assert sorted(G.nodes) == list(range(n))
    assert nx.number_of_selfloops(G) == 0
    assert tp.is_strongly_connected(G)
    assert G.graph["family"] == family.__name__


@pytest.mark.parametrize("rows,cols", [(1, 1), (1, 2), (2, 2), (3, 4), (4, 4)])
def test_grid_and_torus(rows, cols):
    for family in (tp.grid, tp.torus):
        G = family(rows, cols)
        assert G.number_of_nodes() == rows * cols
        assert tp.is_strongly_connected(G)
        assert all(G.has_edge(v, u) for u, v in G.edges)  # undirected: both directions
    assert tp.grid(4, 4).number_of_edges() == 2 * 24
    assert tp.torus(4, 4).number_of_edges() == 2 * 32
    assert tp.grid(3, 4).has_edge(0, 1) and tp.grid(3, 4).has_edge(0, 4)


def test_ring_edges():
    assert set(tp.directed_ring(4).edges) == {(0, 1), (1, 2), (2, 3), (3, 0)}
    assert set(tp.undirected_ring(3).edges) == {(0, 1), (1, 2), (2, 0), (1, 0), (2, 1), (0, 2)}
    assert set(tp.directed_ring(2).edges) == {(0, 1), (1, 0)}
    assert tp.directed_ring(1).number_of_edges() == 0


def test_ring_with_chords_documented_chords():
    G = tp.ring_with_chords(16)
    extra = set(G.edges) - set(tp.directed_ring(16).edges)
    assert extra == {(4, 0), (12, 8)}
    assert set(tp.ring_with_chords(2).edges) == set(tp.directed_ring(2).edges)


def test_skewed_ring_uniform_weights_are_the_paper_matrix():
    for n in (4, 5, 10, 16, 32):
        A = tp.row_stochastic(tp.skewed_ring(n)).toarray()
        m = n // 2
        expected = np.zeros((n, n))
        for i in range(n):
            expected[i, i] = expected[i, (i - 1) % n] = 0.5
        expected[m, :] = 0
        expected[m, m] = expected[m, m - 1] = expected[m, 0] = 1 / 3
        np.testing.assert_allclose(A, expected, rtol=0, atol=EXACT)


def test_skewed_ring_small_n_is_directed_ring():
    # n <= 3: the extra edge 0 -> m coincides with the ring edge (documented deviation).
    for n in (1, 2, 3):
        assert set(tp.skewed_ring(n).edges) == set(tp.directed_ring(n).edges)


def test_skewed_chain_matrix_definition():
    n = 6
    M = np.zeros((n, n))
    for i in range(n):
        M[i, i] += 1 / 3
        if i + 1 < n:
            M[i + 1, i] += 1 / 3
        M[0, i] += 1 / 3
    M[n - 1, n - 1] += 1 / 3
    A = tp.skewed_chain_matrix(n)
    np.testing.assert_allclose(A.toarray(), M.T, rtol=0, atol=EXACT)
    tp.check_stochastic(A, "row")
    np.testing.assert_allclose(M.sum(axis=0), 1, atol=EXACT)  # M column-stochastic
    assert tp.skewed_chain_matrix(1).toarray().tolist() == [[1.0]]
    np.testing.assert_allclose(tp.skewed_chain_matrix(2).toarray(),
                               [[2 / 3, 1 / 3], [1 / 3, 2 / 3]], atol=EXACT)


@pytest.mark.parametrize("n", [1, 2, 3, 6, 11])
def test_skewed_chain_support_matches_special_matrix(n):
    G = tp.skewed_chain(n)
    A = G.graph["weights"]["row"]
    coo = A.tocoo()
    support = {(int(j), int(i)) for i, j in zip(coo.row, coo.col) if i != j}  # edge j -> i
    assert support == set(G.edges)
    # default_weights returns the special matrix, row_stochastic stays uniform.
    np.testing.assert_array_equal(tp.default_weights(G, "row").toarray(), A.toarray())
    if n >= 3:
        assert not np.allclose(tp.row_stochastic(G).toarray(), A.toarray())


@pytest.mark.parametrize("n", [1, 2, 3, 5, 6, 8, 12, 16])
def test_exponential_offsets(n):
    G = tp.exponential(n)
    tau = int(np.ceil(np.log2(n))) if n > 1 else 0
    expected = {(i, (i + 2 ** k) % n) for i in range(n) for k in range(tau)} - \
        {(i, i) for i in range(n)}
    assert set(G.edges) == expected
    assert all(d == tau for _, d in G.out_degree())


def test_one_peer_exponential_is_a_period_of_graphs():
    graphs = tp.one_peer_exponential(16)
    assert isinstance(graphs, list) and len(graphs) == 4
    for k, G in enumerate(graphs):
        assert set(G.edges) == {(i, (i + 2 ** k) % 16) for i in range(16)}
    assert len(tp.one_peer_exponential(1)) == 1
    assert len(tp.one_peer_exponential(5)) == 3


def test_star_and_complete():
    G = tp.star(5)
    assert set(G.edges) == {(0, i) for i in range(1, 5)} | {(i, 0) for i in range(1, 5)}
    assert tp.complete(4).number_of_edges() == 12


RANDOM = [
    (tp.erdos_renyi, dict(n=20, p=0.3)),
    (tp.random_k_out, dict(n=20, k=2)),
    (tp.random_geometric, dict(n=20, radius=5.0)),
    (tp.nearest_neighbour, dict(n=20, k=3)),
]


@pytest.mark.parametrize("family,kwargs", RANDOM)
def test_random_families_seeded_and_strongly_connected(family, kwargs):
    G1 = family(**kwargs, seed=3)
    G2 = family(**kwargs, seed=3)
    G3 = family(**kwargs, seed=np.random.default_rng(3))
    assert set(G1.edges) == set(G2.edges) == set(G3.edges)
    assert tp.is_strongly_connected(G1)
    assert sorted(G1.nodes) == list(range(kwargs["n"]))
    others = {frozenset(family(**kwargs, seed=s).edges) for s in range(4)}
    assert len(others) > 1
    assert "spec" in G1.graph and "spec" not in G3.graph  # a Generator is not a spec


def test_random_family_details():
    G = tp.random_k_out(30, 3, seed=1)
    assert all(d == 3 for _, d in G.out_degree())
    G = tp.nearest_neighbour(30, 3, seed=1)
    assert all(d == 3 for _, d in G.out_degree())
    pts = np.array([G.nodes[i]["pos"] for i in range(30)])
    for i in range(30):
        dist = np.linalg.norm(pts - pts[i], axis=1)
        dist[i] = np.inf
        assert set(G.successors(i)) == set(np.argsort(dist)[:3])
    G = tp.random_geometric(30, 4.0, side=10.0, seed=2)
    pts = np.array([G.nodes[i]["pos"] for i in range(30)])
    assert pts.min() >= 0 and pts.max() <= 10
    for u, v in G.edges:
        assert np.linalg.norm(pts[u] - pts[v]) <= 4.0
        assert G.has_edge(v, u)


def test_random_families_give_up_with_a_clear_error():
    with pytest.raises(ValueError, match=r"erdos_renyi\(n=50, p=0.01\): no strongly "
                                         r"connected sample in 5 tries"):
        tp.erdos_renyi(50, 0.01, seed=0, max_tries=5)
    with pytest.raises(ValueError, match="no strongly connected sample"):
        tp.random_geometric(50, 0.1, seed=0, max_tries=3)
    with pytest.raises(ValueError, match="no strongly connected sample"):
        tp.nearest_neighbour(10, 1, seed=0, max_tries=3)


def test_random_families_small_n():
    for family, kwargs in RANDOM:
        kw = dict(kwargs, n=1)
        assert family(**kw, seed=0).number_of_nodes() == 1
    assert tp.erdos_renyi(2, 1.0, seed=0).number_of_edges() == 2
    assert tp.random_k_out(2, 1, seed=0).number_of_edges() == 2


@pytest.mark.parametrize("call,match", [
    (lambda: tp.directed_ring(0), r"n must be an integer >= 1, got 0"),
    (lambda: tp.exponential(-3), r"got -3"),
    (lambda: tp.grid(0, 3), r"rows must be an integer >= 1, got 0"),
    (lambda: tp.erdos_renyi(5, 1.5, seed=0), r"p must be in \[0, 1\], got 1.5"),
    (lambda: tp.random_k_out(5, 7, seed=0), r"k must be in \[1, n-1\] = \[1, 4\] .* got 7"),
    (lambda: tp.nearest_neighbour(5, 0, seed=0), r"got 0"),
    (lambda: tp.random_geometric(5, -1.0, seed=0), r"radius must be in \(0, inf\), got -1"),
    (lambda: tp.erdos_renyi(5, 0.5, seed=-1), r"seed must be a non-negative int, got -1"),
])
def test_bad_values(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("call,match", [
    (lambda: tp.directed_ring(2.5), r"n must be an integer, got 2.5"),
    (lambda: tp.star("8"), r"n must be an integer, got '8'"),
    (lambda: tp.complete(True), r"got the bool True"),
    (lambda: tp.erdos_renyi(5, 0.5, seed=1.5), r"seed must be an int.*got 1.5"),
    (lambda: tp.erdos_renyi(5, "x", seed=0), r"p must be a real number, got 'x'"),
])
def test_bad_types(call, match):
    with pytest.raises(TypeError, match=match):
        call()


def test_from_edges():
    G = tp.from_edges([(0, 1), (1, 2), (2, 0), (1, 1)])
    assert set(G.edges) == {(0, 1), (1, 2), (2, 0)}  # self-loop dropped
    G = tp.from_edges([("b", "c"), ("c", "a"), ("a", "b")])
    assert G.graph["labels"] == ["a", "b", "c"]
    assert set(G.edges) == {(1, 2), (2, 0), (0, 1)}
    assert tp.from_edges([], n=1).number_of_nodes() == 1
    with pytest.raises(ValueError, match=r"no path from node 0 to node 2"):
        tp.from_edges([(0, 1), (1, 0)], n=3)
    with pytest.raises(ValueError, match=r"no path from node 'y' to node 'x'"):
        tp.from_edges([("x", "y")])
    with pytest.raises(ValueError, match=r"node 5 is out of range 0..2"):
        tp.from_edges([(0, 5)], n=3)
    with pytest.raises(ValueError, match=r"each edge must be a pair .* got \(1, 2, 3\)"):
        tp.from_edges([(1, 2, 3)])
    with pytest.raises(ValueError, match="edges is empty"):
        tp.from_edges([])


def test_from_digraph():
    H = nx.DiGraph([(10, 20), (20, 30), (30, 10)])
    G = tp.from_digraph(H)
    assert sorted(G.nodes) == [0, 1, 2] and G.graph["labels"] == [10, 20, 30]
    U = nx.path_graph(4)  # undirected: both directions
    G = tp.from_digraph(U)
    assert set(G.edges) == {(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2)}
    G = tp.from_digraph(tp.skewed_chain(5))  # identity labels keep the special weights
    assert "weights" in G.graph
    with pytest.raises(ValueError, match=r"no path from node 0 to node 1"):
        tp.from_digraph(nx.DiGraph([(1, 0)]))
    with pytest.raises(ValueError, match="0 nodes"):
        tp.from_digraph(nx.DiGraph())
    with pytest.raises(TypeError, match="got list"):
        tp.from_digraph([(0, 1)])

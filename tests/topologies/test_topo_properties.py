"""Hypothesis properties over random strongly connected digraphs (n = 1..12)."""

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import topologies as tp

# Sums of at most 12 fractions: a few ulps; 1e-13 leaves margin.
SUM_TOL = 1e-13
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def strongly_connected_digraphs(draw):
    """A random ring through a random node order plus random extra edges."""
    n = draw(st.integers(1, 12))
    order = draw(st.permutations(list(range(n))))
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    if n > 1:
        G.add_edges_from((order[i], order[(i + 1) % n]) for i in range(n))
    pairs = [(u, v) for u in range(n) for v in range(n) if u != v]
    if pairs:
        extra = draw(st.lists(st.sampled_from(pairs), max_size=2 * n))
        G.add_edges_from(extra)
    return G


def _support_ok(G, M):
    n = G.number_of_nodes()
    allowed = np.eye(n, dtype=bool)
    for u, v in G.edges:
        allowed[v, u] = True          # edge u -> v: M[v, u]
    D = M.toarray()
    return not np.any((D != 0) & ~allowed) and np.all(np.diagonal(D) > 0) and np.all(D >= 0)


def _rules(G, seed):
    A, B = tp.random_integer_weights(G, low=1, high=3, seed=seed)
    return [("row", tp.row_stochastic(G)), ("column", tp.column_stochastic(G)),
            ("row", A), ("column", B)]


@SETTINGS
@given(strongly_connected_digraphs(), st.integers(0, 2 ** 32 - 1))
def test_weight_rules_are_stochastic_on_the_support(G, seed):
    assert tp.is_strongly_connected(G) and tp.is_primitive(G)
    for side, M in _rules(G, seed):
        tp.check_stochastic(M, side, atol=SUM_TOL)
        assert _support_ok(G, M)
        assert tp.is_primitive(M)


@SETTINGS
@given(strongly_connected_digraphs(), st.integers(0, 2 ** 32 - 1))
def test_perron_vector_positive_and_invariant(G, seed):
    for side, M in _rules(G, seed):
        pi = tp.perron_vector(M, side)
        assert np.all(pi > 0) and abs(pi.sum() - 1) <= SUM_TOL
        D = M.toarray()
        lhs = pi @ D if side == "row" else D @ pi
        # entrywise relative residual: GTH gives every entry to ~n eps relative
        np.testing.assert_allclose(lhs, pi, rtol=1e-12, atol=0)
        n = len(pi)
        assert pi.min() >= (1 - 1e-12) / (n * tp.kappa(M, side))


@SETTINGS
@given(strongly_connected_digraphs(), st.integers(2, 5), st.integers(0, 2 ** 32 - 1))
def test_powers_contract_beta_and_keep_kappa(G, R, seed):
    for side, M in _rules(G, seed):
        D = M.toarray()
        MR = np.linalg.matrix_power(D, R)
        # beta(M^R) <= beta(M)^R by submultiplicativity; 1e-12 absorbs SVD round-off
        assert tp.beta(MR, side) <= tp.beta(M, side) ** R + 1e-12
        # M^R has the same Perron vector; kappa agrees to 1e-9 relative
        assert tp.kappa(MR, side) == pytest.approx(tp.kappa(M, side), rel=1e-9)


@SETTINGS
@given(strongly_connected_digraphs())
def test_spec_free_user_graph_round_trip(G):
    H = tp.from_edges(list(G.edges), n=G.number_of_nodes())
    assert set(H.edges) == set(G.edges)
    # relabelled copy of the same graph gives the same metrics up to permutation
    labels = {v: f"node{v:02d}" for v in G.nodes}
    K = tp.from_digraph(nx.relabel_nodes(G, labels))
    assert K.number_of_edges() == G.number_of_edges()
    assert tp.kappa(K) == pytest.approx(tp.kappa(H), rel=1e-9)

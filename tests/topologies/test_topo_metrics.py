"""Effective metrics against the closed forms of arXiv:2506.04600, Section 2 (docs/theory.rst)."""

import math

import numpy as np
import pytest
import scipy.sparse as sp

import topologies as tp

# Reference values quoted to 4 decimals in arXiv:2506.04600: |error| <= 5e-5 (half a unit in
# the last quoted digit).
REF4 = 5e-5
# Exact closed forms (cos(pi/n), 1 - 2/(1+tau), rational kappas) from an O(n^3) dense SVD /
# eigen solve of small matrices: backward error ~ n * eps, so 1e-12 leaves ample margin.
EXACT = 1e-12


def _A(G):
    return tp.default_weights(G, "row")


@pytest.mark.parametrize("n,ref", [(8, 0.9239), (16, 0.9808)])
def test_directed_ring(n, ref):
    A = _A(tp.directed_ring(n))
    assert tp.beta(A) == pytest.approx(math.cos(math.pi / n), abs=EXACT)
    assert tp.beta(A) == pytest.approx(ref, abs=REF4)
    assert tp.kappa(A) == pytest.approx(1.0, abs=EXACT)
    # normal matrix: beta = slem
    assert tp.slem(A) == pytest.approx(tp.beta(A), abs=EXACT)
    # A = B = (I + P)/2 for the directed ring
    np.testing.assert_allclose(A.toarray(), tp.column_stochastic(tp.directed_ring(n)).toarray())


@pytest.mark.parametrize("tau", [1, 2, 3, 4, 5])
def test_static_exponential_power_of_two(tau):
    A = _A(tp.exponential(2 ** tau))
    assert tp.beta(A) == pytest.approx(1 - 2 / (1 + tau), abs=EXACT)
    tp.check_stochastic(A, "doubly")


@pytest.mark.parametrize("n,ref", [(6, 0.5), (12, 0.6)])
def test_static_exponential_any_n(n, ref):
    A = _A(tp.exponential(n))
    tp.check_stochastic(A, "doubly")  # circulant
    assert tp.beta(A) == pytest.approx(ref, abs=EXACT)


def test_star_and_grid():
    assert tp.kappa(_A(tp.star(16))) == pytest.approx(8.0, rel=EXACT)
    A = _A(tp.grid(4, 4))
    assert tp.kappa(A) == pytest.approx(5 / 3, rel=EXACT)
    assert tp.beta(A) == pytest.approx(0.8405, abs=REF4)
    # undirected uniform row weights: pi_i proportional to deg(i) + 1
    G = tp.grid(4, 4)
    deg = np.array([G.in_degree(i) for i in range(16)]) + 1
    np.testing.assert_allclose(tp.perron_vector(A), deg / deg.sum(), rtol=EXACT)


@pytest.mark.parametrize("n,ref", [(5, 0.8102), (10, 0.9512), (16, 0.9808), (32, 0.9952)])
def test_skewed_ring(n, ref):
    A = _A(tp.skewed_ring(n))
    assert tp.kappa(A) == pytest.approx(2.0, rel=EXACT)
    assert tp.beta(A) == pytest.approx(ref, abs=REF4)
    with pytest.raises(ValueError, match="not balanced"):
        tp.default_weights(tp.skewed_ring(n), "doubly")


def test_skewed_ring_tiny_diagonals():
    A = _A(tp.skewed_ring(32))
    # arXiv:2506.04600 quotes 3.9e-10 (2 digits) at k = 32: relative tolerance 2%.
    worst = tp.theta(A, horizon=64)
    assert 1 / worst == pytest.approx(3.9e-10, rel=0.02)
    V = np.eye(32)
    mins = []
    for _ in range(64):
        V = A @ V
        mins.append(np.diagonal(V).min())
    assert int(np.argmin(mins)) + 1 == 32


@pytest.mark.parametrize("n,ref", [(6, 0.7721), (10, 0.7939), (12, 0.7974)])
def test_skewed_chain(n, ref):
    G = tp.skewed_chain(n)
    A = tp.default_weights(G, "row")
    assert tp.kappa(A) == pytest.approx(2.0 ** (n - 2), rel=1e-10)  # GTH: ~n eps relative
    assert tp.beta(A) == pytest.approx(ref, abs=REF4)
    assert tp.kappa(G) == pytest.approx(2.0 ** (n - 2), rel=1e-10)  # digraph -> special A


@pytest.mark.parametrize("tau", [1, 2, 3, 4, 6])
def test_one_peer_exponential_period_is_exact_average(tau):
    n = 2 ** tau
    Ws = tp.default_weights(tp.one_peer_exponential(n), "doubly")
    for k, W in enumerate(Ws):
        P = np.roll(np.eye(n), 2 ** k, axis=0)  # P[i, i - 2^k] = 1: pull from i - 2^k
        np.testing.assert_allclose(W.toarray(), (np.eye(n) + P) / 2, atol=0)
    prod = np.eye(n)
    for W in Ws:
        prod = W @ prod
    # dyadic fractions: the product is exact in floating point up to summation order
    np.testing.assert_allclose(prod, np.full((n, n), 1 / n), atol=1e-15)
    d = tp.describe(Ws, side="doubly")
    assert d["period"] == tau and d["beta"] < 1e-12


MATRICES = {
    "skewring16": lambda: _A(tp.skewed_ring(16)),
    "skewchain8": lambda: _A(tp.skewed_chain(8)),
    "star12": lambda: _A(tp.star(12)),
    "grid4x4": lambda: _A(tp.grid(4, 4)),
    "er20": lambda: _A(tp.erdos_renyi(20, 0.2, seed=3)),
    "chords16": lambda: _A(tp.ring_with_chords(16)),
    "knn16": lambda: _A(tp.nearest_neighbour(16, 3, seed=0)),
    "random_int": lambda: tp.random_integer_weights(tp.erdos_renyi(15, 0.25, seed=1),
                                                    high=3, seed=2)[0],
}


@pytest.mark.parametrize("name", sorted(MATRICES))
def test_lemma7_and_pi_min(name):
    A = MATRICES[name]()
    n = A.shape[0]
    pi = tp.perron_vector(A)
    k, b = tp.kappa(A), tp.beta(A)
    assert pi.min() >= 1 / (n * k) * (1 - 1e-12)  # min pi >= 1/(n kappa), round-off slack
    start = math.ceil(tp.lemma7_threshold(k, b, n))
    V = np.linalg.matrix_power(A.toarray(), start)
    for _ in range(30):  # k = threshold .. threshold + 29
        d = np.diagonal(V)
        assert np.all(d > 0) and np.all(1 / d <= 2 * n * k)
        V = A @ V


def test_perron_vector_sides():
    A = _A(tp.erdos_renyi(12, 0.3, seed=5))
    pi = tp.perron_vector(A, "row")
    np.testing.assert_allclose(pi @ A, pi, atol=1e-15)  # entries O(1/n), ulps
    B = tp.column_stochastic(tp.erdos_renyi(12, 0.3, seed=5))
    pb = tp.perron_vector(B, "column")
    np.testing.assert_allclose(B @ pb, pb, atol=1e-15)
    # beta_row(A) = beta_col(A^T), kappa likewise
    assert tp.beta(A, "row") == pytest.approx(tp.beta(sp.csr_array(A.T), "column"), abs=EXACT)
    assert tp.kappa(A, "row") == pytest.approx(tp.kappa(sp.csr_array(A.T), "column"), rel=EXACT)
    assert tp.perron_vector(np.array([[1.0]])).tolist() == [1.0]
    assert tp.beta(np.array([[1.0]])) == 0.0 and tp.slem(np.array([[1.0]])) == 0.0


def test_perron_vector_errors():
    with pytest.raises(ValueError, match=r"row 0 of A sums to 0.5"):
        tp.perron_vector(np.array([[0.5, 0.0], [0.5, 0.5]]))
    with pytest.raises(ValueError, match=r"no path from node 1 to node 0"):
        tp.perron_vector(np.array([[1.0, 0.0], [0.5, 0.5]]))
    with pytest.raises(ValueError, match=r"side must be one of .* got 'left'"):
        tp.perron_vector(np.eye(2), side="left")
    with pytest.raises(TypeError, match="describe\\(\\) accepts lists"):
        tp.kappa([np.eye(2)])


def test_perron_vector_large_sparse_exponential():
    """n = 10,000 must be fast (sparse methods); no timing assertion."""
    A = tp.row_stochastic(tp.exponential(10_000))
    pi = tp.perron_vector(A)
    np.testing.assert_allclose(pi, 1e-4, rtol=1e-10)
    assert tp.kappa(A) == pytest.approx(1.0, abs=1e-9)
    B = tp.column_stochastic(tp.skewed_ring(10_000))
    pb = tp.perron_vector(B, "column")
    assert np.abs(B @ pb - pb).max() <= 1e-12 * pb.min()


def test_iterative_beta_matches_dense():
    for A in (_A(tp.exponential(64)), _A(tp.grid(8, 8)), _A(tp.skewed_chain(10))):
        # ARPACK tolerance 1e-10 on the singular value
        assert tp.beta(A, method="iterative") == pytest.approx(tp.beta(A, method="dense"),
                                                               abs=1e-8)
    with pytest.raises(ValueError, match="method must be"):
        tp.beta(np.eye(2), method="svd")


def test_slem_vs_beta():
    A = _A(tp.skewed_ring(10))
    assert tp.slem(A) <= tp.beta(A) + EXACT
    periodic = tp.directed_ring(4)
    P = np.roll(np.eye(4), 1, axis=0)  # no self-loops: periodic
    assert not tp.is_primitive(P) and tp.is_strongly_connected(P)
    assert tp.slem(P) == pytest.approx(1.0, abs=EXACT)
    assert tp.theta(P, horizon=3) == math.inf
    assert tp.is_primitive(_A(periodic))
    assert tp.is_primitive(periodic)
    assert tp.is_primitive(np.array([[0.0, 1.0, 0], [0.5, 0, 0.5], [1.0, 0, 0]]))  # cycles 2, 3


def test_theta():
    A = _A(tp.directed_ring(4))
    # diag of ((I+P)/2)^k: 1/2, 1/4, 1/8, (1 + 1)/16 = 1/8 -> theta over 3 steps is 8
    assert tp.theta(A, horizon=3) == pytest.approx(8.0, rel=EXACT)
    assert tp.theta(A, horizon=1) == pytest.approx(2.0, rel=EXACT)
    with pytest.raises(ValueError, match=r"horizon must be an integer >= 1, got 0"):
        tp.theta(A, horizon=0)


def test_thresholds():
    assert tp.lemma7_threshold(2.0, 0.5, 8) == pytest.approx(4 * (math.log(2) + math.log(8)))
    assert tp.mg_rounds(1.0, 0.0, 1) == 3
    assert tp.mg_rounds(2.0, 0.9, 16) == math.ceil(30 * (1 + math.log(2) + math.log(16)))
    with pytest.raises(ValueError, match=r"beta must be in \[0, 1\), got 1"):
        tp.mg_rounds(2.0, 1.0, 4)
    with pytest.raises(ValueError, match=r"kappa must be in \[1, inf\), got 0.5"):
        tp.lemma7_threshold(0.5, 0.5, 4)
    with pytest.raises(ValueError, match=r"n must be an integer >= 1, got 0"):
        tp.lemma7_threshold(1.0, 0.5, 0)


def test_describe():
    G = tp.skewed_ring(16)
    d = tp.describe(G)
    assert d["n"] == 16 and d["side"] == "row" and d["period"] == 1
    assert d["kappa"] == pytest.approx(2.0, rel=EXACT)
    assert d["beta"] == pytest.approx(0.9808, abs=REF4)
    assert d["spectral_gap"] == pytest.approx(1 - d["beta"])
    assert d["pi_min"] == pytest.approx(min(d["pi"])) and len(d["pi"]) == 16
    assert d["mg_rounds"] == tp.mg_rounds(d["kappa"], d["beta"], 16)
    assert d["lemma7_threshold"] == pytest.approx(tp.lemma7_threshold(2.0, d["beta"], 16))
    assert d["theta_horizon"] == 64 and d["theta"] > 1 / d["pi_min"]
    assert d["strongly_connected"] and d["primitive"]
    assert d["nnz"] == 16 + 17 and d["max_in_degree"] == 2 and d["max_out_degree"] == 2
    import json
    json.dumps(d)  # plain values only
    dc = tp.describe(tp.column_stochastic(G), side="column")
    assert dc["side"] == "column" and dc["kappa"] >= 1
    dd = tp.describe(tp.exponential(8), side="doubly")
    assert dd["kappa"] == pytest.approx(1.0) and dd["beta"] == pytest.approx(0.5)
    d1 = tp.describe(tp.complete(1))
    assert d1["n"] == 1 and d1["beta"] == 0.0 and d1["pi"] == [1.0]
    # not strongly connected: metrics None, flags False
    dn = tp.describe(np.array([[1.0, 0.0], [0.5, 0.5]]))
    assert dn["strongly_connected"] is False and dn["kappa"] is None


def test_describe_time_varying_is_the_period_product():
    As = tp.row_stochastic([tp.skewed_ring(6), tp.directed_ring(6)])
    d = tp.describe(As)
    P = (As[1] @ As[0]).toarray()
    assert d["period"] == 2 and d["time_varying"]
    assert d["beta"] == pytest.approx(tp.beta(P), abs=EXACT)
    with pytest.raises(ValueError, match="same size|share one size"):
        tp.describe([np.eye(2), np.eye(3)])

"""Edge-array topologies, circulant matrices and the metrics' fast paths (issue 14).

Matrices built from edge arrays are compared exactly with those built from networkx
graphs (same arithmetic, same canonical csr layout). Shifted-sum products and FFT
spectra sum in another order than the reference: 1e-13 relative for products of
stochastic matrices with O(1) data, 1e-9 against ARPACK (run at tolerance 1e-10).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import decopt
import topologies as tp
from topologies import metrics
from topologies.fast import CirculantMatrix, circulant_matrix, circulant_product

SPECS = ["exp:1", "exp:2", "exp:3", "exp:16", "exp:37", "ring:1", "ring:2", "ring:9",
         "uring:2", "uring:7", "skewring:2", "skewring:9", "kout:40,k=3,seed=2",
         "er:12,p=0.4,seed=1", "grid:3x4"]


def _same(a, b):
    return (a.shape == b.shape and np.array_equal(a.indptr, b.indptr)
            and np.array_equal(a.indices, b.indices) and np.array_equal(a.data, b.data))


@pytest.mark.parametrize("spec", SPECS)
def test_edge_arrays_give_the_graph_and_its_weights(spec):
    G = tp.from_spec(spec)
    E = tp.edges_from_spec(spec)
    assert set(zip(E.src.tolist(), E.dst.tolist())) == set(G.edges())
    assert E.number_of_edges() == G.number_of_edges() and E.name == G.graph["name"]
    for side in ("row", "column", "doubly"):
        try:
            ref = tp.default_weights(G, side)
        except ValueError:
            with pytest.raises(ValueError):
                tp.default_weights(spec, side)
            continue
        assert _same(tp.default_weights(spec, side), ref)
    A1, B1 = tp.random_integer_weights(G, seed=3)
    A2, B2 = tp.random_integer_weights(E, seed=3)
    assert _same(A1, A2) and _same(B1, B2)
    assert _same(tp.row_stochastic(E.to_networkx()), tp.row_stochastic(G))


def test_circulant_matrix_layout_and_detection():
    for n in (3, 8, 50):
        for shifts in ([0, 1], [0, 1, 2, 4], [0, 1, n - 1], [0, 3, 5]):
            sh = sorted({s % n for s in shifts})
            w = np.arange(1, len(sh) + 1) / 10.0
            M = circulant_matrix(n, sh, w)
            D = np.zeros((n, n))
            for s, ws in zip(sh, w):
                D[np.arange(n), (np.arange(n) - s) % n] += ws
            assert np.array_equal(M.toarray(), D)
            assert sp.csr_array(M).has_canonical_format
            plain = sp.csr_array(D)
            got = metrics._circulant(plain)
            assert got is not None and np.array_equal(got[0], sh)
    # negative controls: a skewed ring and a perturbed exponential graph are not circulant
    assert metrics._circulant(tp.row_stochastic(tp.skewed_ring(40))) is None
    A = sp.csr_array(tp.row_stochastic(tp.exponential(40)))
    A.data[3] *= 1.5
    assert metrics._circulant(A) is None


def test_shifted_sums_equal_sparse_product(monkeypatch):
    A = tp.row_stochastic("exp:1000")
    assert isinstance(A, CirculantMatrix)
    X = np.random.default_rng(0).standard_normal((1000, 7))
    ref = sp.csr_array(A) @ X
    for rows in (1, 7, 256, 5000):                      # blocks that wrap around
        monkeypatch.setattr(CirculantMatrix, "BLOCK_ROWS", rows)
        got = circulant_product(A.circulant_shifts, A.circulant_weights, X)
        assert np.abs(got - ref).max() <= 1e-13 * np.abs(ref).max()
    monkeypatch.setattr(CirculantMatrix, "SHIFTED_SUMS", True)
    assert np.abs(A @ X - ref).max() <= 1e-13 * np.abs(ref).max()
    # negative control: a wrong shift set gives another product
    bad = circulant_product(A.circulant_shifts + 1, A.circulant_weights, X)
    assert np.abs(bad - ref).max() > 1e-3


def test_describe_circulant_fft_matches_iterative():
    A = sp.csr_array(tp.row_stochastic("exp:600"))          # plain csr: detected
    d = tp.describe(A)
    assert abs(d["slem"] - metrics._slem_dense(A)) <= 1e-9
    assert d["beta_method"] == "dense"
    big = tp.row_stochastic("exp:2100")
    d = tp.describe(big)
    assert d["beta_method"] == "circulant"
    assert abs(d["beta"] - tp.beta(sp.csr_array(big), method="iterative")) <= 1e-9
    assert d["kappa"] == 1.0
    # negative control: the ring at n = 600 has a slower gap than the exp graph
    assert tp.describe("ring:600")["slem"] > d["beta"]


def test_theta_refuses_sizes_it_cannot_hold():
    with pytest.raises(ValueError, match=r"n = 20000 .*GiB.*THETA_MAX_BYTES"):
        tp.theta("exp:20000")
    assert tp.theta("exp:16") >= 1.0          # negative control: small sizes work


def test_run_with_spec_equals_run_with_graph():
    prob = decopt.problems.quadratic(n=20, dim=3, seed=0)
    for alg in ("push_pull", "pull_diag_gt"):
        a = decopt.run(alg, prob, "exp:20", steps=30, step_size=0.01, log_every=30)
        b = decopt.run(alg, prob, tp.exponential(20), steps=30, step_size=0.01,
                       log_every=30)
        assert np.array_equal(a.x, b.x)

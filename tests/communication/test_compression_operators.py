"""Compression operators: their constants (omega, delta), bits, placement-free draws and
the spec parser.

Statistical tolerances: a mean over N independent draws of Q(x)_j has standard
deviation sd_j = sqrt(Var Q(x)_j / N); a check allows 6 sd (a false alarm has
probability ~2e-9 per coordinate), computed from the operator's exact variance.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from decopt import compression as comp

N_DRAWS = 4000

vectors = arrays(np.float64, st.integers(1, 40),
                 elements=st.floats(-1e3, 1e3, allow_nan=False, allow_subnormal=False))
ratios = st.floats(0.01, 1.0)


def draws(op, x, n=N_DRAWS, seed=3):
    """n independent draws of op(x) for one node (counters 0..n-1), shape (n, d)."""
    X = np.broadcast_to(x, (1, x.size))
    return np.stack([op(X, seed=seed, nodes=[5], counter=c)[0] for c in range(n)])


def unbiasedness_violation(op, x, n=N_DRAWS):
    """max_j |mean_j - x_j| / (6 sd_j + 1e-12 |x|): <= 1 for an unbiased operator.

    sd_j is the standard deviation of the mean *if* the operator is unbiased with the
    per-coordinate variance measured from the same draws."""
    Q = draws(op, x, n)
    sd = Q.std(axis=0) / math.sqrt(n)
    return float(np.max(np.abs(Q.mean(axis=0) - x) / (6 * sd + 1e-12 * np.abs(x).max()
                                                      + 1e-300)))


# ------------------------------------------------------------------ constants
@settings(max_examples=60, deadline=None)
@given(vectors, ratios)
def test_topk_contraction(x, r):
    op = comp.TopK(r)
    d = x.size
    err = np.sum((op(x[None])[0] - x) ** 2)
    # deterministic bound (1 - k/d) ||x||^2, up to round-off of the sums
    assert err <= (1 - op.delta(d)) * np.sum(x ** 2) * (1 + 1e-12) + 1e-300
    assert np.count_nonzero(op(x[None])) <= comp._k_of(r, d)


@settings(max_examples=60, deadline=None)
@given(vectors)
def test_scaled_sign_identity(x):
    d = x.size
    err = np.sum((comp.ScaledSign()(x[None])[0] - x) ** 2)
    exact = np.sum(x ** 2) - np.sum(np.abs(x)) ** 2 / d
    # ||C(x) - x||^2 = ||x||^2 - ||x||_1^2/d exactly; 1e-9 relative for round-off
    assert abs(err - exact) <= 1e-9 * np.sum(x ** 2) + 1e-300
    assert err <= (1 - 1 / d) * np.sum(x ** 2) * (1 + 1e-9) + 1e-300


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.integers(1, 40),
              elements=st.floats(1e-4, 6e4) | st.floats(-6e4, -1e-4)))
def test_fp16_relative_error(x):
    y = comp.Float16()(x[None])[0]
    # unit round-off of float16 in its normal range
    assert np.all(np.abs(y - x) <= 2.0 ** -11 * np.abs(x))


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.integers(1, 40),
              elements=st.floats(1e-30, 1e30) | st.floats(-1e30, -1e-30)))
def test_bf16_relative_error(x):
    y = comp.BFloat16()(x[None])[0]
    # 2^-8 for bfloat16 plus 2^-24 for the intermediate float32 rounding
    assert np.all(np.abs(y - x) <= (2.0 ** -8 + 2.0 ** -24) * np.abs(x))
    # and truly 8 significant bits: the float32 pattern has 16 zero low bits
    assert np.all(y.astype(np.float32).view(np.uint32) & 0xFFFF == 0)


def test_bf16_rounds_to_nearest_even():
    one_ulp = 2.0 ** -7                      # bf16 spacing at 1
    x = np.array([[1 + one_ulp / 2, 1 + 1.5 * one_ulp, 1 + 0.49 * one_ulp]])
    np.testing.assert_array_equal(comp.BFloat16()(x), [[1.0, 1 + 2 * one_ulp, 1.0]])


@pytest.mark.parametrize("ratio", [0.1, 0.3, 0.5])
def test_randk_scaled_is_unbiased_with_its_omega(ratio):
    x = np.random.default_rng(0).normal(size=20)
    op = comp.RandK(ratio)
    assert unbiasedness_violation(op, x) <= 1.0
    Q = draws(op, x)
    var = np.mean(np.sum((Q - x) ** 2, axis=1))
    # E||Q - x||^2 = omega ||x||^2 exactly for rand-k; 5% covers N = 4000 draws
    assert abs(var - op.omega(20) * np.sum(x ** 2)) <= 0.05 * op.omega(20) * np.sum(x ** 2)


def test_unbiasedness_check_fails_for_unscaled_randk():
    """Negative control of the check above: the unscaled rand-k is biased (mean k/d x)."""
    x = np.random.default_rng(0).normal(size=20)
    assert unbiasedness_violation(comp.RandK(0.3, scaled=False), x) > 1.0
    Q = draws(comp.RandK(0.3, scaled=False), x)
    err = np.mean(np.sum((Q - x) ** 2, axis=1))
    # but contractive with delta = k/d (5% statistical tolerance)
    assert abs(err - (1 - 6 / 20) * np.sum(x ** 2)) <= 0.05 * np.sum(x ** 2)


@pytest.mark.parametrize("s", [1, 4, 16])
def test_qsgd_unbiased_and_variance_bound(s):
    x = np.random.default_rng(1).normal(size=30)
    op = comp.QSGD(s)
    assert unbiasedness_violation(op, x) <= 1.0
    Q = draws(op, x)
    var = np.mean(np.sum((Q - x) ** 2, axis=1))
    # Lemma 3.1 of arXiv:1610.02132: E||Q - x||^2 <= min(d/s^2, sqrt(d)/s) ||x||^2;
    # 5% slack for the sampling error of the mean
    assert var <= 1.05 * op.omega(30) * np.sum(x ** 2)
    levels = np.abs(Q) / np.linalg.norm(x) * s
    np.testing.assert_allclose(levels, np.round(levels), atol=1e-9)


# ------------------------------------------------------------------ draws
@pytest.mark.parametrize("spec", ["randk:0.3", "randk_biased:0.5", "qsgd:4"])
def test_draws_depend_on_node_ids_not_on_placement(spec):
    op = comp.parse(spec)
    X = np.random.default_rng(2).normal(size=(6, 9))
    full = op(X, seed=7, nodes=np.arange(6), counter=11)
    part = op(X[[2, 5]], seed=7, nodes=[2, 5], counter=11)
    np.testing.assert_array_equal(part, full[[2, 5]])
    # other counters / seeds give other draws
    assert not np.array_equal(op(X, seed=7, counter=12), full)
    assert not np.array_equal(op(X, seed=8, counter=11), full)


def test_batched_runs_use_one_seed_each():
    op = comp.parse("randk:0.3")
    X = np.random.default_rng(3).normal(size=(2, 4, 10))
    both = op(X, seed=[1, 2], counter=0)
    np.testing.assert_array_equal(both[1], op(X[1], seed=2, counter=0))
    with pytest.raises(ValueError, match="3 seed"):
        op(X, seed=[1, 2, 3])


# ------------------------------------------------------------------ bits
def test_bits_formulas():
    d = 100
    assert comp.Identity().bits(d) == 6400
    assert comp.TopK(0.1).bits(d) == 10 * (64 + 7)
    assert comp.RandK(0.1).bits(d) == 10 * (64 + 7)
    assert comp.QSGD(16).bits(d) == 64 + 100 * (1 + 5)
    assert comp.ScaledSign().bits(d) == 164
    assert comp.Float16().bits(d) == comp.BFloat16().bits(d) == 1600
    assert comp.TopK(0.5).bits(1) == 64          # k = 1, no index needed


# ------------------------------------------------------------------ parser
@pytest.mark.parametrize("spec, cls", [
    ("topk:0.1", comp.TopK), ("randk:0.1", comp.RandK), ("randk_biased:0.2", comp.RandK),
    ("qsgd:16", comp.QSGD), ("sign", comp.ScaledSign), ("fp16", comp.Float16),
    ("bf16", comp.BFloat16), ("none", comp.Identity), (None, comp.Identity)])
def test_parse(spec, cls):
    op = comp.parse(spec)
    assert type(op) is cls
    if spec is not None:
        assert str(op) == spec
        assert comp.parse(str(op)) == op


@pytest.mark.parametrize("spec, match", [
    ("topk:0", "outside \\(0, 1\\]"), ("topk:1.5", "outside \\(0, 1\\]"),
    ("randk:-0.1", "outside"), ("topk", "needs a parameter"), ("topk:abc", "not a number"),
    ("qsgd:0", ">= 1"), ("qsgd:2.5", "not an int"), ("sign:3", "takes no parameter"),
    ("zip:3", "unknown compression 'zip:3'.*topk")])
def test_parse_rejects_bad_specs(spec, match):
    with pytest.raises(ValueError, match=match):
        comp.parse(spec)


def test_parse_rejects_non_strings_and_bad_ratios_in_constructors():
    with pytest.raises(TypeError, match="spec string"):
        comp.parse(0.1)
    with pytest.raises(ValueError, match="ratio must be in"):
        comp.TopK(0.0)
    with pytest.raises(ValueError, match="levels"):
        comp.QSGD(0)

"""Unit checks of the calculators in decopt.theory (fast, no runs)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import topologies as tp
from decopt import theory as th

# a generic parameter set: (n, L, Delta, sigma, kappa, beta, K)
P = dict(n=16, L=2.0, delta=3.0, sigma=1.5, kappa=4.0, beta=0.9)


def test_bounds_formulas():
    K = 1e4
    n, L, D, s, k, b = P.values()
    speed = s * math.sqrt(L * D) / math.sqrt(n * K)
    # exact formulas with unit constants (rel. 1e-14: pure arithmetic)
    assert th.lower_bound_row(n, L, D, s, k, b, K) == pytest.approx(
        speed + (1 + math.log(k)) * L * D / ((1 - b) * K), rel=1e-14)
    assert th.upper_bound_mg_pull_diag_gt(n, L, D, s, k, b, K) == pytest.approx(
        speed + (1 + math.log(k) + math.log(n)) * L * D / ((1 - b) * K), rel=1e-14)
    assert th.lower_bound_column(n, L, D, s, k, b, K) == th.lower_bound_row(n, L, D, s, k, b, K)
    assert th.upper_bound_pull_diag_gt(n, L, D, s, K, C_A=5.0) == pytest.approx(
        speed + 6 * L * D / K, rel=1e-14)
    assert th.pull_diag_gt_threshold(2.0, 10.0, 0.5) == pytest.approx(800.0)


@pytest.mark.parametrize("K", [1.0, 1e2, 1e4, 1e8])
def test_mg_upper_bound_is_near_optimal(K):
    """lower <= upper <= lower * (1 + ln k + ln n)/(1 + ln k): optimal up to ln n."""
    n, L, D, s, k, b = P.values()
    lo = th.lower_bound_row(n, L, D, s, k, b, K)
    up = th.upper_bound_mg_pull_diag_gt(n, L, D, s, k, b, K)
    assert lo <= up <= lo * (1 + math.log(k) + math.log(n)) / (1 + math.log(k)) * (1 + 1e-12)


def test_transient_iterations_balances_the_two_terms():
    n, L, D, s, k, b = P.values()
    KT = th.transient_iterations(n, L, D, s, k, b)
    net = th.network_factor(n, k, b) * L * D / KT
    assert th.speedup_term(n, L, D, s, KT) == pytest.approx(net, rel=1e-12)
    # scaling: K_T ~ n, ~ 1/sigma^2, ~ 1/(1 - beta)^2
    assert th.transient_iterations(n, L, D, 2 * s, k, b) == pytest.approx(KT / 4, rel=1e-12)
    assert th.transient_iterations(n, L, D, 0.0, k, b) == math.inf


def test_mg_rounds_matches_topologies():
    assert th.mg_rounds(2.0, 0.9952, 32) == tp.mg_rounds(2.0, 0.9952, 32)
    assert th.mg_rounds(1.0, 0.6, 16) == math.ceil(3 * (1 + math.log(16)) / 0.4)


@pytest.mark.parametrize("bad", [dict(kappa=0.5), dict(beta=1.0), dict(beta=-0.1),
                                 dict(n=0)])
def test_bad_metrics_raise_value_error(bad):
    args = dict(P, **bad)
    with pytest.raises(ValueError):
        th.lower_bound_row(args["n"], args["L"], args["delta"], args["sigma"],
                           args["kappa"], args["beta"], 10)


def _simulate_sgd(gamma, e0, noise_std, K, runs, seed, first=None):
    rng = np.random.default_rng(seed)
    e = np.tile(e0, (runs, 1))
    acc = np.zeros(runs)
    for k in range(K):
        acc += np.sum(e ** 2, axis=1)
        g = first if (k == 0 and first is not None) else gamma
        e = (1 - g) * e - g * noise_std * rng.standard_normal(e.shape)
    return acc / K


@pytest.mark.parametrize("first", [None, 0.01])
def test_sgd_ergodic_average_closed_form(first):
    gamma, d, sd, K = 0.2, 5, 0.7, 60
    e0 = np.ones(d)
    sim = _simulate_sgd(gamma, e0, sd, K, runs=4000, seed=0, first=first)
    cf = th.sgd_ergodic_average(gamma, float(e0 @ e0), d * sd ** 2, K, first_gamma=first)
    # Monte Carlo with 4000 runs: standard error ~1%; 4% is 4 standard errors
    assert sim.mean() == pytest.approx(cf, rel=0.04)
    # deterministic limit is exact
    cf0 = th.sgd_ergodic_average(gamma, 5.0, 0.0, K)
    direct = np.mean([5.0 * (1 - gamma) ** (2 * k) for k in range(K)])
    assert cf0 == pytest.approx(direct, rel=1e-12)


def test_sgd_plateau_value_of_the_theory_page():
    # docs/theory.rst, checkable prediction 1: gamma d sigma^2/(2 - gamma) = 0.128 for 0.05, 5, 1
    assert th.sgd_plateau(0.05, 5, 1.0) == pytest.approx(0.25 / 1.95, rel=1e-12)
    assert th.sgd_plateau(0.05, 5, 1.0, n=8, R=3) == pytest.approx(0.25 / 1.95 / 24)
    # and the long-run limit of the ergodic average
    assert th.sgd_ergodic_average(0.05, 1.0, 5.0, 10 ** 7) == pytest.approx(
        th.sgd_plateau(0.05, 5, 1.0), rel=1e-4)


def test_effective_step():
    G = tp.from_spec("chords:8")
    pa = tp.perron_vector(tp.row_stochastic(G), side="row")
    pb = tp.perron_vector(tp.column_stochastic(G), side="column")
    assert th.effective_step("pull_diag_gt", 0.01, 8) == pytest.approx(0.08)
    assert th.effective_step("push_pull", 0.1, 8, pa, pb) == pytest.approx(0.8 * pa @ pb)
    assert th.effective_step("gt", 0.1, 8) == 0.1
    u = np.full(8, 1 / 8)
    assert th.effective_step("push_pull", 0.1, 8, u, u) == pytest.approx(0.1)


def test_tuned_step_balances_and_caps():
    # gamma = R sqrt(2 Delta n/(L sigma^2 K)), capped at 1/(2L)
    assert th.tuned_step(4, 1.0, 2.5, math.sqrt(5), 400) == pytest.approx(0.1)
    assert th.tuned_step(4, 1.0, 2.5, math.sqrt(5), 4) == 0.5


def test_fit_rate_recovers_a_geometric_sequence():
    k = np.arange(400)
    err = 3.0 * 0.97 ** k * (1 + 0.1 * np.cos(0.3 * k) * 0.97 ** k)
    rate, npts = th.fit_rate(err, high=1e-1, low=1e-9)
    assert npts > 100
    assert rate == pytest.approx(0.97, rel=1e-4)
    assert math.isnan(th.fit_rate(np.ones(5))[0])


def test_spectral_radius_skips_conserved_eigenvalue():
    T = np.diag([1.0, 0.5, -0.7])
    assert th.spectral_radius(T) == pytest.approx(0.7)


@pytest.mark.parametrize("spec", ["ring:8", "skewring:16", "exp:8", "star:8"])
def test_lemma7_holds(spec):
    c = th.lemma7_check(tp.row_stochastic(tp.from_spec(spec)))
    assert c.holds and c.worst <= c.bound and c.last_k >= c.first_k


def test_lemma7_threshold_is_needed_on_the_skewed_ring():
    """Before the threshold the diagonals of A^k can be far below 1/(2 n kappa)
    (the skewed ring of [LCLY25]: 3.9e-10 at n = 32, k = 32)."""
    A = tp.row_stochastic(tp.skewed_ring(32)).toarray()
    d = np.diagonal(np.linalg.matrix_power(A, 32)).min()
    assert 1 / d > 2 * 32 * 2 * 1e6
    c = th.lemma7_check(A)
    assert c.holds and c.first_k > 32


def test_weighted_consensus_errors_bounded_by_beta_powers():
    A = tp.row_stochastic(tp.from_spec("chords:12"))
    b = tp.beta(A)
    e = th.weighted_consensus_errors(A, 300)
    k = np.arange(1, 301)
    assert np.all(e[1:] <= b ** k * (1 + 1e-9))
    le = th.weighted_consensus_errors(A, 300, log=True)
    assert np.allclose(np.exp(le[1:]), e[1:], rtol=1e-9, atol=0)


def test_iteration_matrix_shape_and_rate_of_gt():
    import decopt
    prob = decopt.problems.quadratic(n=4, dim=2, heterogeneity=1.0, condition=3.0, seed=0)
    T = th.iteration_matrix("gt", prob, "exp:4", 0.1)
    assert T.shape == (3 * 4 * 2, 3 * 4 * 2)   # fields x, y, g
    rho = th.spectral_radius(T)
    assert 0 < rho < 1


# ------------------------------------------------ closed forms of claims 1 and 2
def test_quadratic_closed_forms_reduce_to_the_identity_hessian_case():
    """With H = I the heterogeneous-Hessian closed forms equal the scalar ones (to
    round-off, 1e-12 relative), and a wrong Hessian changes them (they can fail)."""
    import numpy as np
    from decopt import theory as th
    H = np.eye(5)
    assert np.isclose(th.quadratic_sgd_plateau(0.05, np.ones(5), 1.0, n=4),
                      th.sgd_plateau(0.05, 5, 1.0, n=4), rtol=1e-12)
    for first in (None, 0.01):
        c = th.quadratic_sgd_curve(0.1, H, np.ones(5), 0.2, 50, first_gamma=first)
        assert np.isclose(c.mean(), th.sgd_ergodic_average(0.1, 5, 1.0, 50,
                                                           first_gamma=first), rtol=1e-12)
    assert not np.isclose(th.quadratic_sgd_plateau(0.05, [1, 1, 1, 1, 0.1], 1.0),
                          th.sgd_plateau(0.05, 5, 1.0), rtol=1e-3)


def test_quadratic_sgd_curve_matches_simulation():
    """E||H e_k||^2 of the exact recursion, by Monte Carlo over 4000 paths: within 5%
    (the Monte Carlo error of the mean of a chi-square-like variable is ~2% here)."""
    import numpy as np
    from decopt import theory as th
    rng = np.random.default_rng(0)
    H = np.diag([1.0, 0.3, 0.1])
    e = np.tile([1.0, -2.0, 0.5], (4000, 1))
    gamma, var, K = 0.2, 0.05, 30
    sims = []
    for _ in range(K):
        sims.append(np.mean(np.sum((e @ H) ** 2, axis=1)))
        e = e - gamma * (e @ H) - gamma * rng.normal(scale=np.sqrt(var), size=e.shape)
    ref = th.quadratic_sgd_curve(gamma, H, [1.0, -2.0, 0.5], var, K)
    assert np.allclose(sims, ref, rtol=0.05)


def test_quadratic_sgd_plateau_rejects_bad_input():
    import pytest
    from decopt import theory as th
    with pytest.raises(ValueError, match="eigs"):
        th.quadratic_sgd_plateau(0.05, [1.0, -1.0], 1.0)
    with pytest.raises(ValueError, match="gamma"):
        th.quadratic_sgd_plateau(3.0, [1.0], 1.0)

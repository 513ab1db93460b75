"""The conformance table: every algorithm x problem x suitable topology.

Adding an algorithm means adding a row to ``ROWS``; every check below then covers it.
"""

from __future__ import annotations

import numpy as np
import pytest

import decopt
import topologies as tp
from decopt import algorithms as algs
from decopt import theory
from decopt.mixing import resolve
from decopt.network import LocalNetwork
from decopt.oracle import Oracle

# name -> (topology specs, step size on the quadratic, step size on logistic).
# Directed methods run on a directed ring with chords (not balanced, so A != B and
# pi_A is not uniform), the skewed ring (tiny diagonals of A^k), a random digraph and the
# time-varying one-peer exponential graph; W-methods on the exponential graph (balanced),
# the one-peer exponential graph and the undirected ring; Exact-Diffusion on undirected
# graphs (it needs a symmetric W). The first spec is the one the single-topology checks
# (bias, invariants, rates) use.
DIRECTED = ("chords:8", "skewring:8", "er:8,p=0.3,seed=1", "onepeer:8")
BALANCED = ("exp:8", "onepeer:8", "uring:8")
ROWS = {
    "dsgd":            (BALANCED, 0.1, 0.5),
    "gt":              (BALANCED, 0.1, 0.5),
    "exact_diffusion": (("uring:8", "grid:2x4", "complete:8"), 0.1, 0.5),
    "sgp":             (DIRECTED, 0.05, 0.5),
    "push_diging":     (DIRECTED, 0.05, 0.3),
    "frost":           (DIRECTED, 0.02, 0.1),
    "pull_diag_gd":    (DIRECTED, 0.01, 0.05),
    "pull_diag_gt":    (DIRECTED, 0.01, 0.05),
    "push_pull":       (DIRECTED, 0.05, 0.3),
    "ab":              (DIRECTED, 0.02, 0.2),
    # compressed-communication methods, here with their default (no) compression; the
    # compressed rows are in tests/communication/test_compressed_conformance.py
    "choco":           (("uring:8", "grid:2x4", "complete:8"), 0.02, 0.5),
    "cpp":             (DIRECTED[:3], 0.05, 0.3),   # static digraphs only
    "ef_dsgd":         (BALANCED[2:] + ("grid:2x4",), 0.02, 0.5),   # symmetric W
}


# Local-step and federated methods (issue 16) have their rows in
# tests/federated/test_fed_conformance.py (this table was being rewritten meanwhile).
FEDERATED = {"local_dsgd", "kgt", "led", "fedavg", "fedadam", "fedyogi", "fedadagrad", "fedprox",
             "scaffold", "qffl", "adafedadam"}


def test_every_algorithm_has_a_row():
    assert set(ROWS) == set(algs.ALGORITHMS) - FEDERATED


@pytest.fixture(scope="module")
def quad():
    # condition 5: distinct curvatures per node make the rate check non-trivial
    return decopt.problems.quadratic(n=8, dim=3, heterogeneity=2.0, condition=5.0, seed=1)


@pytest.fixture(scope="module")
def logi():
    return decopt.problems.logistic(n=8, dim=4, samples_per_node=30, heterogeneity=1.0,
                                    seed=2)


EXACT = [k for k, c in algs.ALGORITHMS.items() if c.exact and k in ROWS]
INEXACT = [k for k, c in algs.ALGORITHMS.items() if not c.exact and k in ROWS]


EXACT_CASES = [(k, spec) for k in EXACT for spec in ROWS[k][0]]


@pytest.mark.parametrize("name, spec", EXACT_CASES)
def test_exact_methods_reach_minimiser_quadratic(name, spec, quad):
    _, a, _ = ROWS[name]
    res = decopt.run(name, quad, spec, steps=6000, step_size=a, log_every=1000)
    assert res.success, res.message
    # 1e-10: the exactness target; deterministic gradients leave only round-off
    assert res.history["err_max"][-1] < 1e-10, res.history["err_max"]


@pytest.mark.parametrize("name, spec", EXACT_CASES)
def test_exact_methods_reach_stationarity_logistic(name, spec, logi):
    _, _, a = ROWS[name]
    res = decopt.run(name, logi, spec, steps=6000, step_size=a, log_every=1000)
    assert res.success, res.message
    # 1e-10 on ||grad f(xbar)|| and on the consensus error: exact stationarity up to
    # round-off (the logistic loss is nonconvex, so x* is not known in closed form)
    assert res.history["grad_norm"][-1] < 1e-10
    assert res.history["consensus"][-1] < 1e-20


@pytest.mark.parametrize("name", INEXACT)
def test_inexact_methods_keep_bias_linear_in_alpha(name, quad):
    specs, a, _ = ROWS[name]
    spec = specs[0]
    errs = []
    for alpha in (a, a / 2, a / 4):
        res = decopt.run(name, quad, spec, steps=6000, step_size=alpha, log_every=6000)
        errs.append(res.history["err_max"][-1])
    errs = np.array(errs)
    # A bias that is O(alpha): clearly non-zero, and halving alpha halves it up to the
    # O(alpha^2) term; the ratios must lie within 15% of 2.
    assert errs[-1] > 1e-4
    ratios = errs[:-1] / errs[1:]
    assert np.all(np.abs(ratios - 2) < 0.3), ratios


def _run_states(name, problem, spec, alpha, steps):
    alg = algs.make(name, alpha)
    mixing = resolve(spec, alg.weights)
    net = LocalNetwork(row=mixing.row, col=mixing.col)
    oracle = Oracle(problem, net.nodes, [0])
    s = alg.init(np.zeros((problem.n, problem.dim)), oracle, net)
    states = [s]
    for k in range(steps):
        net.set_step(k)
        s = alg.step(s, oracle, net)
        states.append(s)
    return mixing, states


@pytest.mark.parametrize("name", ["push_pull", "ab", "push_diging", "gt"])
def test_sum_invariant(name, logi):
    """1^T Y^k = 1^T g^k for trackers mixed by a column- (or doubly) stochastic matrix."""
    specs, _, a = ROWS[name]
    spec = specs[0]
    _, states = _run_states(name, logi, spec, a, 50)
    for s in states:
        scale = np.abs(s.g).sum(axis=0).max()
        # 1e-12 relative: the invariant is exact; only round-off accumulates
        assert np.abs(s.y.sum(axis=0) - s.g.sum(axis=0)).max() <= 1e-12 * scale


@pytest.mark.parametrize("name", ["pull_diag_gt", "frost"])
def test_pi_invariant(name, logi):
    """pi_A^T Y^k = pi_A^T D_k^{-1} g^k for the row-stochastic trackers."""
    specs, _, a = ROWS[name]
    spec = specs[0]
    mixing, states = _run_states(name, logi, spec, a, 50)
    pi = tp.perron_vector(mixing.row[0], side="row")
    for s in states:
        scale = np.abs(s.dg).max()
        assert np.abs(pi @ s.y - pi @ s.dg).max() <= 1e-12 * scale


def test_uncorrected_row_tracking_converges_to_pi_weighted_minimiser(quad):
    """Negative control: D_k = I gives argmin sum_i pi_i f_i, not argmin f."""
    spec = "chords:8"
    alg = algs.PullDiagGT(0.01, diag_correction=False)
    res = decopt.run(alg, quad, spec, steps=6000, log_every=6000)
    pi = tp.perron_vector(resolve(spec, "row").row[0], side="row")
    target = quad.weighted_minimizer(pi)
    # the two minimisers are far apart, the run lands on the pi-weighted one to 1e-10
    assert np.linalg.norm(target - quad.x_star) > 1e-2
    assert np.abs(res.x - target).max() < 1e-10


# ------------------------------------------------------------------ linear rates
@pytest.mark.parametrize("name", EXACT)
def test_linear_rate_matches_spectral_radius(name, quad):
    specs, a, _ = ROWS[name]
    spec = specs[0]
    # iteration matrix of the homogeneous error dynamics (shared with `decopt verify`);
    # eigenvalue 1 belongs to the conserved quantities (e.g. 1^T (Y - g)), not to the
    # error dynamics, and is skipped
    rho = theory.spectral_radius(theory.iteration_matrix(name, quad, spec, a))
    res = decopt.run(name, quad, spec, steps=4000, step_size=a, log_every=1)
    # fit log err on the window where it decays from 1e-3 to 1e-9 (asymptotic regime,
    # above round-off)
    measured, npts = theory.fit_rate(res.history["err_max"], high=1e-3, low=1e-9)
    assert npts > 20, "window too short: choose another step size"
    # 1e-3 relative: the target; sub-dominant modes and the polynomial factor of
    # a complex pair make the fitted rate wobble at the 1e-4 level over this window
    assert abs(measured - rho) <= 1e-3 * rho, (measured, rho)


@pytest.mark.parametrize("name", list(ROWS))
def test_declared_mixings_match_the_counters(name, quad):
    """``Algorithm.mixings`` (used for equal-communication budgets) is what the network
    counts: R rounds per mixing call, ``mixings`` calls per iteration."""
    specs, a, _ = ROWS[name]
    for rounds in (1, 3):
        res = decopt.run(name, quad, specs[0], steps=7, step_size=a, rounds=rounds)
        assert res.counters["rounds"] == 7 * rounds * algs.ALGORITHMS[name].mixings

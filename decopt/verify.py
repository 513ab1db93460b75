"""``decopt verify``: the theory of [LCLY25], [LLY25], [LHXY23] against measurements.

Each row is one claim: what the theory predicts, what the runs measure, and a verdict
(PASS/FAIL) against a tolerance that is stated, and justified, next to the check that
uses it (the constants ``TOL_*`` below). Seeds are fixed, so the table is reproducible;
confidence intervals come from the spread over seeds (per-seed fits, Student t).

Claims (the numbers are the ids in the table):

1. Linear speedup with a constant effective step, where the network matters
   (heterogeneous, condition-10 quadratic): n x plateau on the complete graph equals the
   centralised closed form, and a sparse digraph's plateau matches the complete graph's.
   1t: the transient before that holds grows with 1/(1 - beta) and stays below K_T.
2. Linear speedup with the horizon-tuned step ~ sqrt(n/K): the ergodic average of
   E||grad f(w_k)||^2 equals the centralised closed form (~1/sqrt(nK)) on the complete
   graph and on a sparse digraph. (Claims 1, 1t and 2 live in decopt/_verify_speedup.py,
   which says why the identical-Hessian quadratic cannot test them.)
3. Deterministic gradients: exactness, O(alpha) bias of DSGD/SGP, linear rate = spectral
   radius of the iteration matrix; Lemma 7 of [LCLY25]; beta(A^R) <= beta_A^R; the
   Pull-Diag consensus error decays like beta_A^k.
4. Multi-step gossip stabilises Pull-Diag-GT on the skewed ring; equal-budget comparison;
   the theory's R.
5. Lower/upper bounds (:mod:`decopt.theory`) against measured MG-Pull-Diag-GT runs.
6. Compressed communication (:mod:`decopt.verify_communication`, rows 6a-6d): CHOCO
   converges linearly with top-k and needs fewer bits than GT; rand-k unbiased, top-k
   contractive.
7. Federated methods (:mod:`decopt.verify_federated`, rows 7a-7c): FedAvg with tau = 1
   is centralised SGD; SCAFFOLD exact where FedAvg drifts; q-FFL lowers the variance of
   the local losses.
8. Unreliable links and asynchrony (:mod:`decopt.verify_links`, rows 8a-8b): Push-Pull,
   AB, Push-DIGing (and GT under pairwise gossip) stay exact under link drops, random
   activation and random digraphs; GT and Pull-Diag-GT, whose theory needs more than
   stochastic rows, measurably do not (the claim's scope).

``run_claims(quick=True)`` returns the rows as dicts; ``main(argv)`` prints the table and
returns 0 when every verdict is PASS, 1 otherwise. ``--quick`` takes under a minute on
a quiet laptop core; the full run (more seeds, longer runs, larger grids) under 15.
Every claim has a negative control in :mod:`decopt.mutations` that turns it to FAIL
(tests/verification/test_mutations.py).

References
----------
.. [LCLY25] arXiv:2506.04600.  .. [LLY25] arXiv:2506.18075.  .. [LHXY23] arXiv:2312.04928.
.. [PSXN21] arXiv:1810.06653.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import textwrap
import time

import numpy as np
from scipy import stats

import topologies as tp

from . import problems
from . import theory as th
from .fitting import column_slopes, geometric_rate
from .formatting import to_jsonable
from .runner import run
from . import _verify_speedup as _vs
from ._claim_row import _row

__all__ = ["run_claims", "main", "format_table", "CLAIMS", "QUICK", "FULL"]

# ============================================================================ tolerances
#: Claims 1, 1t and 2: the tolerances live beside the checks in decopt/_verify_speedup.py
#: (re-exported here).
TOL_PLATEAU_REL = _vs.TOL_PLATEAU_REL
TOL_NETWORK_REL = _vs.TOL_NETWORK_REL
TOL_TRANSIENT_FRAC = _vs.TOL_TRANSIENT_FRAC
TOL_DECAY_REL = _vs.TOL_DECAY_REL
#: Claims 3a/3c: the issue's targets (round-off floor; 1e-3 relative on the rate).
TOL_EXACT = 1e-10
TOL_RATE_REL = 1e-3
#: Claim 3b: halving alpha halves an O(alpha) bias up to the O(alpha^2) term: ratio 2
#: within 15% (the ratio is 2 + O(alpha); measured within 3% at these steps).
TOL_BIAS_RATIO = 0.3
#: Claim 3f: the fitted per-step decay rate of ||Pi^1/2 (A^k - 1 pi^T) Pi^-1/2|| must be
#: <= beta_A (a theorem: the error is <= beta_A^k), and within 1% of the slem, its
#: asymptotic rate; 1% absorbs the polynomial factor of (near-)defective or complex pairs
#: over the fit window.
TOL_SLEM_REL = 0.01
#: Claim 4: "converges" = max_i ||x_i - x*|| < 1e-9 after 3000 iterations (reference:
#: 1.4e-11 at R = 20); "diverges" = above 1e8 (the runner's divergence threshold).
TOL_CONVERGED = 1e-9
DIVERGED = 1e8
#: Claim 5: the measured/bound ratio may vary by at most a factor 2 across the grid.
#: The bound is an O(.) statement with unit constants, so only its shape is testable.
#: The grid lies beyond the transient, and the tuned step is (nearly) below its cap
#: 1/(2 n L), where the exact closed form of the centroid recursion gives a ratio
#: sqrt(2) (1 + O(gamma)): 1.45..2.2 on these grids (spread <= 1.5). Across the grid
#: (n x4 or x8, K x4) a missing 1/sqrt(n) or a 1/K law would each add a factor >= 2.
#: The runs must also match that closed form point by point within 15% (seed noise
#: with 6-12 seeds is ~5%; the decentral corrections are O(gamma^2/(1 - beta)) with
#: R = theory R, i.e. negligible: measured within 3%).
TOL_BOUND_SPREAD = 2.0
TOL_BOUND_CLOSED_FORM = 0.15

#: Settings of the two modes.
QUICK = dict(
    speedup_ns=(4, 8, 16, 32), speedup_steps=1500, speedup_burn=500, speedup_seeds=8,
    transient_steps=1500,
    decay_grid=((4, 400), (4, 1600), (16, 400), (16, 1600)), decay_seeds=8,
    decay_algs=("pull_diag_gt", "push_pull"),
    rate_steps=3000, bias_steps=4000,
    mg_R=(1, 2, 5, 10, 20), budget=60_000,
    bound_ns=(4, 8, 16), bound_T=(150, 600), bound_seeds=6,
    comm_linear_steps=1200, comm_bits_steps=1000, fed_exact_steps=600, fed_fair_steps=300,
    links_steps=3000,
)
FULL = dict(
    speedup_ns=(4, 8, 16, 32, 64), speedup_steps=5000, speedup_burn=1000, speedup_seeds=16,
    transient_steps=3000,
    decay_grid=((4, 400), (4, 1600), (4, 6400), (16, 400), (16, 1600), (16, 6400),
                (64, 1600)),
    decay_seeds=16, decay_algs=("pull_diag_gt", "push_pull", "gt"),
    rate_steps=4000, bias_steps=6000,
    mg_R=(1, 2, 5, 10, 20), budget=60_000,
    bound_ns=(4, 8, 16, 32), bound_T=(400, 1600), bound_seeds=12,
    comm_linear_steps=3000, comm_bits_steps=3000, fed_exact_steps=3000,
    fed_fair_steps=1500, links_steps=4000,
)

DIM = 5
SIGMA = 1.0           # per-coordinate noise of claims 5: N(0, I_d) on each local gradient
BOUND_SIGMA = 4.0     # claim 5's per-coordinate noise (see claim_bounds)
MG_R_SPEEDUP = _vs.MG_R_SPEEDUP


def _t_interval(values, level=0.95):
    v = np.asarray(values, dtype=float)
    m = float(v.mean())
    if v.size < 2:
        return m, m, m
    h = float(stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return m, m - h, m + h


def _per_seed_slopes(x, Y):
    """Slopes of log Y[:, s] against log x, one per seed (Y: (points, seeds))."""
    return column_slopes(x, Y)


# ============================================================ claims 1, 1t, 2 (see module)
claim_speedup_constant = _vs.claim_speedup_constant
claim_transient = _vs.claim_transient
claim_speedup_decay = _vs.claim_speedup_decay
_sparse_spec = _vs.sparse_spec
_alpha_for = _vs.alpha_for


def claim_speedup(cfg):
    """Claim 1 (constant step) and 1t (its transient)."""
    return claim_speedup_constant(cfg) + claim_transient(cfg)


# ============================================================================ claim 3
#: Deterministic checks (claim 3): name -> (topology, alpha) on the heterogeneous,
#: condition-5 quadratic. Directed methods on the ring with chords (A != B, pi_A not
#: uniform), W-methods on the exponential graph, Exact-Diffusion on the undirected ring.
DETERMINISTIC_CASES = {
    "gt": ("exp:8", 0.1), "exact_diffusion": ("uring:8", 0.1),
    "push_diging": ("chords:8", 0.05), "frost": ("chords:8", 0.02),
    "pull_diag_gt": ("chords:8", 0.01), "push_pull": ("chords:8", 0.05),
    "ab": ("chords:8", 0.02), "dsgd": ("exp:8", 0.1), "sgp": ("chords:8", 0.05),
}
LEMMA7_TOPOLOGIES = ("exp:16", "chords:16", "skewring:16", "star:16", "grid:4x4",
                     "skewchain:10")


def _det_problem():
    return problems.quadratic(n=8, dim=3, heterogeneity=2.0, condition=5.0, seed=1)


def _row_matrix(spec):
    G = tp.from_spec(spec)
    return tp.default_weights(G, "row")   # skewchain carries its special weights


def claim_deterministic(cfg):
    from .algorithms import ALGORITHMS
    rows = []
    prob = _det_problem()
    exact = [k for k in DETERMINISTIC_CASES if ALGORITHMS[k].exact]
    inexact = [k for k in DETERMINISTIC_CASES if not ALGORITHMS[k].exact]
    finals, rates = {}, {}
    for name in exact:
        spec, a = DETERMINISTIC_CASES[name]
        res = run(name, prob, spec, steps=cfg["rate_steps"], step_size=a, log_every=1)
        err = res.history["err_max"]
        finals[name] = float(err[-1]) if res.success else math.inf
        rho = th.spectral_radius(th.iteration_matrix(name, prob, spec, a))
        measured, npts = th.fit_rate(err)
        rates[name] = (measured, rho, abs(measured - rho) / rho, npts)
    worst = max(finals, key=finals.get)
    rows.append(_row("3a", f"exactness, deterministic: {len(exact)} exact methods, "
                     "heterogeneous quadratic (cond 5)",
                     f"max_i |x_i - x*| < {TOL_EXACT:g}",
                     f"worst {finals[worst]:.1e} ({worst})",
                     finals[worst] < TOL_EXACT, finals=finals))
    bias = {}
    for name in inexact:
        spec, a = DETERMINISTIC_CASES[name]
        e = []
        for alpha in (a, a / 2):
            res = run(name, prob, spec, steps=cfg["bias_steps"], step_size=alpha,
                      log_every=cfg["bias_steps"])
            e.append(float(res.history["err_max"][-1]))
        bias[name] = (e[0], e[1], e[0] / e[1])
    ok = all(abs(r - 2) <= TOL_BIAS_RATIO and e2 > 1e-4 for _, e2, r in bias.values())
    rows.append(_row("3b", "DSGD and SGP keep an O(alpha) bias",
                     f"err(a)/err(a/2) = 2 +-{TOL_BIAS_RATIO}, err > 1e-4",
                     "; ".join(f"{k}: {v[0]:.2e}/{v[1]:.2e} = {v[2]:.3f}"
                               for k, v in bias.items()), ok, bias=bias))
    worst = max(rates, key=lambda k: rates[k][2] if not math.isnan(rates[k][2]) else math.inf)
    ok = all(r[2] <= TOL_RATE_REL and r[3] > 20 for r in rates.values())
    m, rho, rel, _ = rates[worst]
    rows.append(_row("3c", f"linear rate = spectral radius of the iteration matrix "
                     f"({len(rates)} methods)",
                     f"|rate - rho|/rho <= {TOL_RATE_REL:g}",
                     f"worst {rel:.1e} ({worst}: {m:.6f} vs {rho:.6f})", ok,
                     rates={k: list(v) for k, v in rates.items()}))

    checks, errors = {}, {}
    for s in LEMMA7_TOPOLOGIES:
        try:
            checks[s] = th.lemma7_check(_row_matrix(s))
        except ValueError as e:      # a metric outside the lemma's domain (beta >= 1)
            errors[s] = str(e)
    ok = not errors and all(c.holds for c in checks.values())
    if checks:
        tight = max(checks, key=lambda s: checks[s].worst / checks[s].bound)
        c = checks[tight]
        meas = f"tightest {tight}: {c.worst:.3g} <= {c.bound:.3g} (k >= {c.first_k})"
    else:
        meas = "no topology could be checked"
    if errors:
        meas += "; not checkable: " + "; ".join(f"{s}: {e}" for s, e in errors.items())
    rows.append(_row("3d", f"Lemma 7 [LCLY25] on {len(LEMMA7_TOPOLOGIES)} topologies, all "
                     "k >= threshold", "1/[A^k]_ii <= 2 n kappa for k >= 2(ln kappa + "
                     "ln n)/(1-beta)", meas,
                     ok, checks={s: vars(v) for s, v in checks.items()}, errors=errors))

    pw = {}
    for s in ("exp:16", "chords:16", "skewring:16", "skewchain:8"):
        A = _row_matrix(s)
        b1 = tp.beta(A)
        for R in (2, 3, 5, 10):
            bR = tp.beta(th.matrix_power_csr(A, R))
            pw[(s, R)] = (bR, b1 ** R)
    # 1e-12 relative: equality holds for normal Pi^1/2 A Pi^-1/2 (exp, grid), where two
    # SVDs of different matrices agree only to round-off
    ok = all(bR <= b1R * (1 + 1e-12) + 1e-14 for bR, b1R in pw.values())
    worst = max(pw, key=lambda key: pw[key][0] / pw[key][1])
    tight = pw[worst][0] / pw[worst][1]
    loose = min(bR / b1R for bR, b1R in pw.values())
    rows.append(_row("3e", "beta(A^R) <= beta_A^R (4 topologies, R in 2,3,5,10)",
                     "beta(A^R)/beta_A^R <= 1 (+1e-12) for every pair",
                     f"{len(pw)} pairs; ratio {loose:.3g}..{tight:.12f} (max at "
                     f"{worst[0]}, R={worst[1]}: equality, normal matrix)", ok,
                     pairs={f"{s}^{R}": v for (s, R), v in pw.items()}))

    cons = {}
    for s in ("exp:16", "chords:16", "skewring:16", "grid:4x4", "skewchain:8"):
        A = _row_matrix(s)
        b, sl = tp.beta(A), tp.slem(A)
        K = int(min(5000, max(2000, 40 / (1 - sl))))
        le = th.weighted_consensus_errors(A, K, log=True)
        ks = np.arange(1, K + 1)
        bound_ok = bool(np.all(le[1:] <= ks * math.log(b) + 1e-9 * ks))
        half = ks[K // 2 - 1:]
        rate = geometric_rate(half, le[half])
        direct_dev = _direct_consensus_deviation(A, le)
        cons[s] = (rate, b, sl, bound_ok, direct_dev)
    # the recursion (A - 1 pi^T)^k equals A^k - 1 pi^T only for the true Perron vector:
    # direct powers of A must agree with it (to 1e-6 relative, far above round-off at
    # errors >= 1e-8) wherever they are computable
    ok = all(r <= b * (1 + 1e-9) and abs(r - sl) <= TOL_SLEM_REL * sl and bo and dd <= 1e-6
             for r, b, sl, bo, dd in cons.values())
    rows.append(_row("3f", "Pull-Diag consensus: ||Pi^1/2 (A^k - 1pi^T) Pi^-1/2|| decays "
                     "like beta_A^k (5 topologies)",
                     f"error <= beta_A^k for all k; fitted rate <= beta_A and within "
                     f"{TOL_SLEM_REL:.0%} of slem",
                     "; ".join(f"{s}: {r:.4f} (beta {b:.4f}, slem {sl:.4f})"
                               for s, (r, b, sl, _, _) in cons.items())
                     + f"; direct A^k vs recursion: max dev "
                       f"{max(v[4] for v in cons.values()):.1e}", ok,
                     consensus={s: list(v) for s, v in cons.items()}))
    return rows


def _direct_consensus_deviation(A, log_errors, floor=1e-8, max_k=400):
    """max_k |e_k(direct) / e_k(recursion) - 1| over the k <= max_k where e_k >= floor:
    e_k(direct) = ||Pi^1/2 (A^k - 1 pi^T) Pi^-1/2||_2 from explicit powers of A."""
    Ad = tp.as_matrix(A).toarray()
    n = Ad.shape[0]
    pi = tp.perron_vector(tp.as_matrix(A), side="row")
    s = np.sqrt(pi)
    P, worst = np.eye(n), 0.0
    for k in range(1, min(max_k, len(log_errors) - 1) + 1):
        P = Ad @ P
        if log_errors[k] < math.log(floor):
            break
        e = np.linalg.norm((P - np.outer(np.ones(n), pi)) * s[:, None] / s[None, :], 2)
        worst = max(worst, abs(e / math.exp(log_errors[k]) - 1))
    return worst


# ============================================================================ claim 4
def claim_multigossip(cfg):
    rows = []
    n = 32
    spec = f"skewring:{n}"
    prob = problems.quadratic(n=n, dim=5, heterogeneity=3.0, seed=0)
    alpha = 0.01 / n
    ref = {1: 1.3e94, 2: 1.1e49, 5: 35, 10: 1.5e-6, 20: 1.4e-11}
    errs, flags = {}, {}
    for R in cfg["mg_R"]:
        # flags[R]: what decopt.run reports with its default early stop (success=False
        # when ||x_i|| exceeds 1e8 x the initial scale); for a stopped run, repeat it with
        # divergence=inf to get the error after the full 3000 iterations, comparable with
        # the reference numbers.
        res = run("pull_diag_gt", prob, spec, steps=3000, step_size=alpha, rounds=R,
                  log_every=100)
        flags[R] = bool(res.success)
        if not res.success:
            res = run("pull_diag_gt", prob, spec, steps=3000, step_size=alpha, rounds=R,
                      log_every=100, divergence=math.inf)
        errs[R] = float(res.history["err_max"][-1])
    Rs = sorted(errs)
    ok = errs[Rs[0]] > DIVERGED and errs[Rs[-1]] < TOL_CONVERGED and all(
        errs[a] >= errs[b] for a, b in zip(Rs, Rs[1:]))
    rows.append(_row(
        "4a", f"MG stabilises Pull-Diag-GT: skewring:{n}, n*alpha=0.01, 3000 its, "
              "deterministic",
        "R=1 diverges (ref 1.3e94), R=20 converges (ref 1.4e-11), error falls with R",
        ", ".join(f"R={R}: {errs[R]:.1e}" for R in Rs)
        + "; decopt.run's early stop flags R=" + ",".join(str(R) for R in Rs if not flags[R]),
        ok, errors=errs, reference=ref, stable=flags))

    B = cfg["budget"]
    eq = {}
    for R in (1, 5, 10, 20):
        res = run("pull_diag_gt", prob, spec, steps=B // R, step_size=alpha, rounds=R,
                  log_every=max(1, B // R // 10))
        eq[R] = float(res.history["err_max"][-1]) if res.success else math.inf
    mg_best = min(eq[R] for R in eq if R > 1)
    # MG must converge (not merely "not be worse": two diverged runs tie at inf)
    ok = mg_best <= eq[1] and mg_best < TOL_CONVERGED
    # scope note: on skewring:16 at the same n*alpha plain Pull-Diag-GT is stable
    p16 = problems.quadratic(n=16, dim=5, heterogeneity=3.0, seed=0)
    b16 = 6000
    e16 = {}
    for R in (1, 5):
        res = run("pull_diag_gt", p16, "skewring:16", steps=b16 // R, step_size=0.01 / 16,
                  rounds=R, log_every=b16 // R)
        e16[R] = float(res.history["err_max"][-1]) if res.success else math.inf
    rows.append(_row(
        "4b", f"equal budget ({B} rounds/phase): MG vs plain on skewring:{n}",
        f"MG (K/R its of A^R) converges (< {TOL_CONVERGED:g}) and matches or beats plain (K its)",
        ", ".join(f"R={R}: {'diverged' if math.isinf(e) else f'{e:.1e}'}"
                  for R, e in eq.items())
        + f" | scope: skewring:16 (plain stable), {b16} rounds: plain {e16[1]:.1e}, "
          f"R=5 {e16[5]:.1e}", ok, errors=eq, skewring16=e16))

    theo = {}
    for s in (spec, "chords:32", "exp:32", _sparse_spec(32)):
        dsc = tp.describe(_row_matrix(s))
        theo[s] = dsc["mg_rounds"]
    stable = [R for R in Rs if errs[R] < TOL_CONVERGED]
    ok = bool(stable) and theo[spec] >= min(stable)
    rows.append(_row(
        "4c", "theory's R = ceil(3(1 + ln kappa + ln n)/(1 - beta)) is sufficient",
        f"R_theory({spec}) >= smallest R measured to converge",
        ", ".join(f"{s}: R={r}" for s, r in theo.items())
        + f"; measured: R >= {min(stable) if stable else 'none'} converges", ok,
        theory_R=theo))
    return rows


# ============================================================================ claim 5
def claim_bounds(cfg):
    rows = []
    L, delta, sig_tot = 1.0, 0.5 * DIM, math.sqrt(DIM) * SIGMA
    # calculator sanity: lower <= upper, ratio of network terms = (1+ln k+ln n)/(1+ln k),
    # and at K = K_T the two terms of the MG bound are equal
    calc = []
    for s in ("exp:16", "skewring:16", "skewchain:10"):
        d = tp.describe(_row_matrix(s))
        n, k, b = d["n"], d["kappa"], d["beta"]
        KT = th.transient_iterations(n, L, delta, sig_tot, k, b)
        sp_ = th.speedup_term(n, L, delta, sig_tot, KT)
        up = th.upper_bound_mg_pull_diag_gt(n, L, delta, sig_tot, k, b, KT)
        lo = th.lower_bound_row(n, L, delta, sig_tot, k, b, KT)
        calc.append((s, KT, up / sp_, lo <= up, up / lo))
    ok = all(abs(c[2] - 2) < 1e-9 and c[3] for c in calc)
    rows.append(_row(
        "5a", "bound calculators ([LCLY25] Thm 1, [LHXY23], MG upper, transient K_T)",
        "lower <= MG upper <= lower * (1+ln k+ln n)/(1+ln k); at K_T the two MG terms "
        "are equal", "; ".join(f"{s}: K_T={KT:.3g}, upper/lower={r:.2f}"
                               for s, KT, _, _, r in calc), ok, calc=calc))

    S = cfg["bound_seeds"]
    seeds = list(range(S))
    # noise BOUND_SIGMA per coordinate puts the whole grid beyond the transient K_T
    # (K_T = 44 rounds for exp:16), where the bound's shape is sigma sqrt(L Delta/(nK))
    # and the tuned step is below its cap 1/(2 n L)
    sig_tot = math.sqrt(DIM) * BOUND_SIGMA
    ratios, preds, pts = [], [], []
    for n in cfg["bound_ns"]:
        spec = f"exp:{n}"
        d = tp.describe(_row_matrix(spec))
        R = th.mg_rounds(max(d["kappa"], 1.0), d["beta"], n)
        prob = problems.quadratic(n=n, dim=DIM, heterogeneity=1.0, seed=0)
        for T in cfg["bound_T"]:
            K = T * R
            gamma = th.tuned_step(n, L, delta, sig_tot, K, R=R)
            res = run("pull_diag_gt", prob, spec, steps=T, step_size=gamma / n, rounds=R,
                      seed=seeds, noise=BOUND_SIGMA, log_every=1, x0=prob.x_star + 1.0)
            g2 = np.mean(res.history["grad_norm_pi"][:T] ** 2) if res.success else math.inf
            bound = th.upper_bound_mg_pull_diag_gt(n, L, delta, sig_tot, max(d["kappa"], 1),
                                                   d["beta"], K)
            cf = th.sgd_ergodic_average(gamma, 2 * delta, sig_tot ** 2 / (n * R), T,
                                        first_gamma=gamma / n)
            ratios.append(g2 / bound)
            preds.append(cf / bound)
            pts.append((n, R, T, K, gamma, g2, bound))
    ratios = np.array(ratios)
    spread = ratios.max() / ratios.min()
    cf_dev = float(np.max(np.abs(ratios / np.array(preds) - 1)))
    ok = bool(np.all(np.isfinite(ratios))) and spread <= TOL_BOUND_SPREAD \
        and cf_dev <= TOL_BOUND_CLOSED_FORM
    nK = [p[0] * p[3] for p in pts]
    rows.append(_row(
        "5b", f"MG-Pull-Diag-GT (R = theory R, tuned step, sigma={BOUND_SIGMA:g}) vs its "
              f"upper bound, exp:n, n={cfg['bound_ns'][0]}..{cfg['bound_ns'][-1]}, "
              f"nK={min(nK):.2g}..{max(nK):.2g}",
        f"measured/bound flat: spread <= {TOL_BOUND_SPREAD:g}x; = closed form "
        f"({min(preds):.2f}..{max(preds):.2f}) +-{TOL_BOUND_CLOSED_FORM:.0%}",
        f"ratio {ratios.min():.2f}..{ratios.max():.2f} (spread {spread:.2f}x); "
        f"max dev from closed form {cf_dev:.1%}", ok,
        points=pts, ratios=list(map(float, ratios)), closed_form=list(map(float, preds))))
    return rows


from .verify_communication import claim_compression  # noqa: E402 (claim 6)
from .verify_federated import claim_federated  # noqa: E402 (claim 7)
from .verify_links import claim_links  # noqa: E402 (claim 8)

CLAIMS = (claim_speedup, claim_speedup_decay, claim_deterministic,
          claim_multigossip, claim_bounds, claim_compression, claim_federated,
          claim_links)


def run_claims(quick=True, claims=None, progress=None) -> list[dict]:
    """Measure every claim; returns one dict per table row.

    Each row has ``id``, ``claim``, ``prediction``, ``measurement``, ``verdict``
    ("PASS"/"FAIL"), ``details`` (the numbers behind the row) and ``seconds``.

    Parameters
    ----------
    quick : bool
        The CI-sized settings (:data:`QUICK`) or the full ones (:data:`FULL`).
    claims : iterable of int, optional
        Claim numbers 1..8 to run (default all).
    progress : callable, optional
        Called with a short message before each claim (e.g. ``print``).
    """
    cfg = QUICK if quick else FULL
    chosen = range(1, len(CLAIMS) + 1) if claims is None else claims
    rows = []
    for i in chosen:
        fn = CLAIMS[int(i) - 1]
        if progress:
            progress(f"claim {i}: {fn.__name__} ...")
        t0 = time.perf_counter()
        with np.errstate(over="ignore", invalid="ignore"):
            out = fn(cfg)
        dt = time.perf_counter() - t0
        for r in out:
            r["seconds"] = dt / len(out)
        rows.extend(out)
    return rows


def format_table(rows) -> str:
    """The rows as a plain-text table: claim | prediction | measurement | verdict."""
    cols = [("id", 3), ("claim", 36), ("prediction", 38), ("measurement", 48),
            ("verdict", 7)]
    lines = []
    head = " | ".join(name.ljust(w) for name, w in cols)
    lines.append(head)
    lines.append("-+-".join("-" * w for _, w in cols))
    for r in rows:
        cells = [textwrap.wrap(str(r[name]), w) or [""] for name, w in cols]
        for k in range(max(len(c) for c in cells)):
            lines.append(" | ".join((c[k] if k < len(c) else "").ljust(w)
                                    for c, (_, w) in zip(cells, cols)).rstrip())
        lines.append("-+-".join("-" * w for _, w in cols))
    return "\n".join(lines)


def _jsonable(obj):
    return to_jsonable(obj, nonfinite="str")


def main(argv=None) -> int:
    """``decopt verify [--quick] [--claims 1,3] [--json FILE]``; 0 iff every claim holds."""
    p = argparse.ArgumentParser(prog="decopt verify",
                                description="theory vs measurement table "
                                            "(arXiv:2506.04600, arXiv:2506.18075)")
    p.add_argument("--quick", action="store_true", help="CI-sized runs (< 2 minutes)")
    p.add_argument("--claims", help=f"comma-separated claim numbers 1-{len(CLAIMS)} "
                                    f"(default all)")
    p.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    try:
        args = p.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as e:
        return int(e.code or 0) if e.code in (0, None) else 2
    claims = None
    if args.claims:
        try:
            claims = [int(c) for c in args.claims.split(",")]
        except ValueError:
            print(f"decopt verify: error: --claims must be numbers 1-{len(CLAIMS)}, got "
                  f"{args.claims!r}",
                  file=sys.stderr)
            return 2
        bad = [c for c in claims if not 1 <= c <= len(CLAIMS)]
        if bad:
            print(f"decopt verify: error: no claim {bad[0]}; expected 1-{len(CLAIMS)}",
                  file=sys.stderr)
            return 2
    t0 = time.perf_counter()
    rows = run_claims(quick=args.quick, claims=claims,
                      progress=lambda m: print(m, file=sys.stderr, flush=True))
    wall = time.perf_counter() - t0
    print(format_table(rows))
    npass = sum(r["verdict"] == "PASS" for r in rows)
    print(f"{npass}/{len(rows)} claims hold ({'quick' if args.quick else 'full'} run, "
          f"{wall:.0f} s)")
    if args.json:
        from pathlib import Path
        Path(args.json).write_text(json.dumps(_jsonable(rows), indent=1))
    return 0 if npass == len(rows) else 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

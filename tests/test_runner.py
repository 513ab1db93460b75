"""decopt.run: batching, multi-step gossip bookkeeping, callbacks, divergence, bad input."""

from __future__ import annotations

import numpy as np
import pytest

import decopt
import topologies as tp
from decopt.network import LocalNetwork


@pytest.fixture(scope="module")
def quad():
    return decopt.problems.quadratic(n=8, dim=3, heterogeneity=1.0, seed=0)


@pytest.fixture(scope="module")
def logi():
    return decopt.problems.logistic(n=8, dim=4, samples_per_node=20, seed=0)


def test_batched_seeds_equal_separate_runs(logi):
    kw = dict(steps=40, step_size=0.1, noise=0.3, batch_size=5, log_every=10)
    batched = decopt.run("push_pull", logi, "chords:8", seed=[3, 7], **kw)
    for s, seed in enumerate([3, 7]):
        single = decopt.run("push_pull", logi, "chords:8", seed=seed, **kw)
        # 1e-13 relative: the same arithmetic in a different memory layout
        np.testing.assert_allclose(batched.x[s], single.x, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(batched.history["grad_norm"][:, s],
                                   single.history["grad_norm"], rtol=1e-12)
    assert batched.counters == single.counters


def test_seeds_change_stochastic_runs_only(quad):
    kw = dict(steps=20, step_size=0.1, log_every=20)
    a = decopt.run("gt", quad, "exp:8", seed=0, noise=1.0, **kw)
    b = decopt.run("gt", quad, "exp:8", seed=1, noise=1.0, **kw)
    c = decopt.run("gt", quad, "exp:8", seed=0, noise=1.0, **kw)
    assert not np.allclose(a.x, b.x)
    assert np.array_equal(a.x, c.x)


def test_rounds_bookkeeping(quad):
    """R gossip rounds per mixing call and R gradient samples per iteration."""
    G = tp.exponential(8)
    edges = G.number_of_edges()
    one = decopt.run("pull_diag_gt", quad, G, steps=10, step_size=0.01, log_every=10)
    mg = decopt.run("pull_diag_gt", quad, G, steps=10, step_size=0.01, rounds=3,
                    noise=0.1, log_every=10)
    assert one.counters["rounds"] == 2 * 10          # two mixing phases per iteration
    assert mg.counters["rounds"] == 3 * 2 * 10
    assert mg.counters["messages"] == 3 * 2 * 10 * edges
    assert one.history["grad_evals"][-1] == 11       # init + one per iteration
    assert mg.history["grad_evals"][-1] == 3 * 11


def test_multistep_gossip_is_the_matrix_power(quad):
    """rounds=R mixes with A^R: the same as running with the matrix A^R given directly."""
    A = tp.row_stochastic(tp.ring_with_chords(8))
    AR = A @ A @ A
    mg = decopt.run("pull_diag_gt", quad, A, steps=30, step_size=0.01, rounds=3)
    direct = decopt.run("pull_diag_gt", quad, AR, steps=30, step_size=0.01)
    np.testing.assert_allclose(mg.x, direct.x, rtol=1e-12, atol=1e-14)


def test_mg_alias_needs_rounds(quad):
    with pytest.raises(ValueError, match="rounds"):
        decopt.run("mg_pull_diag_gt", quad, "exp:8", steps=5, step_size=0.01)
    res = decopt.run("mg_pull_diag_gt", quad, "exp:8", steps=5, step_size=0.01, rounds=2)
    assert res.counters["rounds"] == 2 * 2 * 5


def test_time_varying_one_peer_exponential(quad):
    """Product of one period of one-peer exponential matrices is exactly 11^T/n, so
    MG with R = log2 n reaches consensus in a single round of the period."""
    res = decopt.run("gt", quad, "onepeer:8", steps=3000, step_size=0.1, log_every=500)
    assert res.success
    assert res.history["err_max"][-1] < 1e-10
    net = LocalNetwork(row=[tp.row_stochastic(G) for G in tp.one_peer_exponential(8)],
                       rounds=3)
    X = np.random.default_rng(0).normal(size=(8, 2))
    np.testing.assert_allclose(net.pull(X), np.tile(X.mean(0), (8, 1)), atol=1e-14)


def test_callback_receives_metrics_and_can_stop(quad):
    seen = []

    def cb(r):
        seen.append((r.step, r.grad_norm))
        if r.step >= 20:
            raise StopIteration

    res = decopt.run("push_pull", quad, "exp:8", steps=100, step_size=0.1, log_every=10,
                     callback=cb)
    assert res.success and res.nit == 20 and "callback" in res.message
    assert [s for s, _ in seen] == [0, 10, 20]


def test_divergence_stops_with_step_and_bound():
    prob = decopt.problems.quadratic(n=16, dim=5, heterogeneity=3.0, seed=0)
    res = decopt.run("pull_diag_gt", prob, "skewring:16", steps=3000, step_size=1.0,
                     log_every=10)
    assert not res.success
    assert res.nit < 3000
    assert f"step {res.nit}" in res.message and "node" in res.message
    assert "smaller step size" in res.message and "1/(2 n L)" in res.message
    assert f"{1 / (2 * 16 * prob.L):.3g}" in res.message


def test_checkpoint_resume_gives_identical_numbers(tmp_path, logi):
    kw = dict(steps=60, step_size=0.1, noise=0.2, batch_size=4, seed=[1, 2], log_every=10)
    full = decopt.run("pull_diag_gt", logi, "chords:8", **kw)
    ck = tmp_path / "ck.npz"

    def interrupt(r):
        if r.step == 30:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        decopt.run("pull_diag_gt", logi, "chords:8", checkpoint=ck, checkpoint_every=10,
                   callback=interrupt, **kw)
    assert ck.exists()
    resumed = decopt.run("pull_diag_gt", logi, "chords:8", checkpoint=ck,
                         checkpoint_every=10, resume=True, **kw)
    assert np.array_equal(resumed.x, full.x)
    for key in full.history:
        if key != "time":
            assert np.array_equal(resumed.history[key], full.history[key]), key
    assert resumed.counters == full.counters
    assert not ck.exists()                      # a finished run removes its checkpoint


def test_result_save_load_roundtrip(tmp_path, quad):
    res = decopt.run("push_pull", quad, "exp:8", steps=20, step_size=0.1, seed=[0, 1],
                     noise=0.5, log_every=5)
    res.save(tmp_path / "run")
    back = decopt.Result.load(tmp_path / "run")
    assert np.array_equal(back.x, res.x)
    for key in res.history:
        np.testing.assert_array_equal(back.history[key], res.history[key])
    assert back.config == res.config and back.success


@pytest.mark.parametrize("kwargs, match", [
    (dict(steps=-1), "steps must be an integer >= 0, got -1"),
    (dict(steps=1.5), r"steps must be an integer >= 0, got 1.5 \(float\)"),
    (dict(step_size=0.0), "step_size must be a finite number > 0"),
    (dict(step_size=-0.1), "step_size"),
    (dict(step_size=float("nan")), "step_size"),
    (dict(rounds=0), "rounds must be an integer >= 1, got 0"),
    (dict(noise=-1.0), "noise must be"),
    (dict(log_every=0), "log_every"),
    (dict(x0=np.zeros((3, 3))), r"x0 has shape \(3, 3\)"),
    (dict(x0=np.full(3, np.nan)), "x0 contains NaN"),
    (dict(batch_size=4), "no samples to minibatch"),
    (dict(seed=-1), "seed must be >= 0"),
    (dict(seed=[]), "seed list is empty"),
    (dict(backend="gpu"), "backend must be one of"),
    (dict(weights="magic"), "weights must be one of"),
    (dict(options={"form": "xyz"}), "form must be 'atc' or 'cta'"),
    (dict(options={"momentum": 1}), "unknown option"),
])
def test_bad_input_names_the_value(kwargs, match, quad):
    base = dict(steps=5, step_size=0.1)
    base.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=match):
        decopt.run("push_pull", quad, "exp:8", **base)


def test_bad_names_and_mismatches(quad):
    with pytest.raises(ValueError, match="unknown algorithm 'pushpull'.*push_pull"):
        decopt.run("pushpull", quad, "exp:8", steps=5, step_size=0.1)
    with pytest.raises(ValueError, match="n=8 nodes but the topology has 16"):
        decopt.run("push_pull", quad, "exp:16", steps=5, step_size=0.1)
    with pytest.raises(ValueError, match="unknown problem"):
        decopt.run("push_pull", "quadratik", "exp:8", steps=5, step_size=0.1)
    # a column-stochastic method given only a row-stochastic (not column-stochastic) matrix
    A = tp.row_stochastic(tp.ring_with_chords(8))
    with pytest.raises(ValueError, match="column-stochastic"):
        decopt.run("sgp", quad, A, steps=5, step_size=0.1)
    # Exact-Diffusion needs a symmetric W; a directed graph cannot give one
    with pytest.raises(ValueError):
        decopt.run("exact_diffusion", quad, "chords:8", steps=5, step_size=0.1)
    # GT needs a doubly stochastic W; an unbalanced digraph cannot give one
    with pytest.raises(ValueError, match="doubly|balanced"):
        decopt.run("gt", quad, "chords:8", steps=5, step_size=0.1)


def test_problem_by_name_takes_n_from_topology():
    res = decopt.run("push_pull", "quadratic", "exp:4", steps=3, step_size=0.1)
    assert res.x.shape[0] == 4


def test_single_node_and_two_nodes():
    for n in (1, 2):
        prob = decopt.problems.quadratic(n=n, dim=2, seed=0)
        for name in ("push_pull", "pull_diag_gt", "gt", "sgp", "frost"):
            res = decopt.run(name, prob, f"complete:{n}", steps=300, step_size=0.1,
                             log_every=300)
            assert res.success
            assert res.history["err_max"][-1] < 1e-8, (name, n)

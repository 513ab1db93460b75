"""The cost model's predictions on hand-computable cases, and sim_time in runs.

Tolerances: the model is a few sums and products of float64 numbers, so predictions are
compared with rtol = 1e-12 (round-off of at most a few hundred additions).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import decopt
import topologies as tp
from decopt import costmodel as cm

RTOL = 1e-12

# alpha = 1 ms, beta = 1000 B/s, 10 float64 per message = 80 bytes: tau = 0.081 s
ALPHA, BETA, WIDTH = 1e-3, 1e3, 10
TAU = ALPHA + 8 * WIDTH / BETA


def model(**kw):
    return cm.CostModel(latency=ALPHA, bandwidth=BETA, **kw)


def matrix(G):
    return tp.row_stochastic(G)


def star_out(n):
    """Bidirectional star: node 0 <-> every leaf."""
    return matrix(tp.star(n))


def test_directed_ring_one_message_per_node():
    M = matrix(tp.directed_ring(5))
    for ser in cm.SERIALIZE:
        m = model(serialize=ser)
        assert m.round_time(M, 64 * WIDTH) == pytest.approx(TAU, rel=RTOL)
        np.testing.assert_allclose(m.arrival_times(M, 64 * WIDTH), np.full(5, TAU), rtol=RTOL)


def test_star_sender_serialises_the_hub():
    M = star_out(5)            # hub 0 sends to leaves 1..4 in that order
    m = model(serialize="sender", overhead=0.5)
    arr = m.arrival_times(M, 64 * WIDTH)
    # the hub hears every leaf's only message first; leaf i is the hub's i-th receiver
    np.testing.assert_allclose(arr, 0.5 + TAU * np.array([1, 1, 2, 3, 4]), rtol=RTOL)
    assert m.round_time(M, 64 * WIDTH) == pytest.approx(0.5 + 4 * TAU, rel=RTOL)


def test_star_receiver_and_parallel_links():
    M = star_out(5)
    rec = model(serialize="receiver")
    np.testing.assert_allclose(rec.arrival_times(M, 64 * WIDTH),
                               TAU * np.array([4, 1, 1, 1, 1]), rtol=RTOL)
    assert rec.round_time(M, 64 * WIDTH) == pytest.approx(4 * TAU, rel=RTOL)
    par = model(serialize="none")
    assert par.round_time(M, 64 * WIDTH) == pytest.approx(TAU, rel=RTOL)


def test_local_bandwidth_once_per_round_whatever_the_degree():
    """gamma = 400 B/s, 80 bytes per message: every node pays 0.2 s once per round before
    its first send, on a ring (k = 1) and on the star's hub (k = 4) alike."""
    local = 8 * WIDTH / 400.0
    for G, k in ((tp.directed_ring(5), 1), (tp.star(5), 4)):
        m = model(overhead=0.5, local_bandwidth=400.0)
        assert m.round_time(matrix(G), 64 * WIDTH) == pytest.approx(0.5 + local + k * TAU,
                                                                    rel=RTOL)
        assert m.arrival_times(matrix(G), 64 * WIDTH).max() == pytest.approx(
            m.round_time(matrix(G), 64 * WIDTH), rel=RTOL)
    # the default is free (inf): the plain alpha-beta round
    assert model().local_bandwidth == float("inf")
    assert model(overhead=0.5).round_time(star_out(5), 64 * WIDTH) == pytest.approx(
        0.5 + 4 * TAU, rel=RTOL)


def test_negative_control_ignoring_serialisation_fails_the_star():
    """A model that gives every link its own bandwidth misses the hub's queue: the star
    check above would fail with it."""
    par = model(serialize="none")
    assert not np.isclose(par.round_time(star_out(5), 64 * WIDTH), 4 * TAU, rtol=1e-3)


@pytest.mark.parametrize("ser", cm.SERIALIZE)
def test_round_time_is_the_last_arrival(ser):
    G = tp.random_k_out(30, 3, seed=1)
    M = matrix(G)
    m = model(serialize=ser, overhead=1e-4)
    assert m.round_time(M, 640) == pytest.approx(m.arrival_times(M, 640).max(), rel=RTOL)


def test_no_messages_cost_nothing():
    assert model(overhead=1.0).round_time(sp.csr_array(np.ones((1, 1))), 64) == 0.0


def test_bits_set_the_payload():
    M = matrix(tp.directed_ring(3))
    m = model()
    assert m.round_time(M, 8) == pytest.approx(ALPHA + 1 / BETA, rel=RTOL)   # 1 byte


def test_one_straggler_sets_the_pace():
    m = cm.CostModel(latency=0, bandwidth=1, compute=1e-3, slow_nodes={2: 10})
    t = m.compute_times(seed=0, call=0, n=4)
    np.testing.assert_allclose(t, [1e-3, 1e-3, 1e-2, 1e-3], rtol=RTOL)
    clock = cm.SimClock(m, 4, [0])
    clock.charge(5, samples=2)       # 5 calls of 2 samples: 5 * 2 * 10 ms
    assert clock.time()[0] == pytest.approx(0.1, rel=RTOL)


def test_random_stragglers_per_seed_node_call():
    m = cm.CostModel(latency=0, bandwidth=1, compute=1.0, straggler_prob=0.25,
                     straggler_slowdown=3.0)
    T = np.array([m.compute_times(7, c, 200) for c in range(50)])
    assert set(np.unique(T)) == {1.0, 3.0}
    # 10000 Bernoulli(0.25) draws: sd of the fraction 0.0043, tolerance 5 sd
    assert abs(np.mean(T == 3.0) - 0.25) < 0.022
    np.testing.assert_array_equal(T[3], m.compute_times(7, 3, 200))   # a pure function
    assert not np.array_equal(T[3], m.compute_times(8, 3, 200))       # of the seed too


def test_heterogeneity_and_jitter_ranges():
    m = cm.CostModel(latency=0, bandwidth=1, compute=1.0, heterogeneity=0.5, jitter=0.2)
    f = m.node_factors(500)
    assert f.min() >= 1.0 and f.max() < 1.5 and f.std() > 0.1
    t = m.compute_times(0, 0, 500)
    assert np.all(t >= f) and np.all(t < 1.2 * f)


def test_run_sim_time_hand_computed():
    """Push-Pull on a directed ring: 2 rounds per iteration (pull, push) and one gradient
    call per iteration plus one at init: sim_time(k) = 2 k tau + (k + 1) c."""
    prob = decopt.problems.quadratic(n=4, dim=3, seed=0)
    m = cm.CostModel(latency=1e-3, bandwidth=1e4, compute=1e-2)
    res = decopt.run("push_pull", prob, tp.directed_ring(4), steps=10, step_size=0.1,
                     log_every=5, cost_model=m)
    tau = 1e-3 + 24 / 1e4
    k = np.array([0, 5, 10])
    np.testing.assert_allclose(res.history["sim_time"], 2 * k * tau + (k + 1) * 1e-2,
                               rtol=RTOL)
    assert res.config["cost_model"]["latency"] == 1e-3


def test_observer_sees_every_round_with_its_matrix_and_bits():
    seen = []

    class Spy:
        def on_round(self, net, side, M, bits):
            seen.append((side, M.shape, bits))

    from decopt.algorithms import PushPull
    from decopt.network import LocalNetwork
    G = tp.exponential(8)
    net = LocalNetwork(row=[tp.row_stochastic(G)], col=[tp.column_stochastic(G)], rounds=2)
    net.observers.append(Spy())
    net.pull(np.ones((8, 3)), np.ones((2, 8, 4)))
    net.push(np.ones((8, 5)))
    assert seen == [("row", (8, 8), 64 * 7)] * 2 + [("col", (8, 8), 64 * 5)] * 2
    assert net.counters.rounds == len(seen)


def test_batched_seeds_share_the_rounds_not_the_draws():
    prob = decopt.problems.quadratic(n=6, dim=2, seed=0)
    m = cm.PROFILES["edge"]
    kw = dict(steps=6, step_size=0.1, log_every=3, cost_model=m)
    both = decopt.run("push_pull", prob, tp.exponential(6), seed=[0, 1], **kw)
    one = decopt.run("push_pull", prob, tp.exponential(6), seed=1, **kw)
    st = np.asarray(both.history["sim_time"])
    assert st.shape == (3, 2)
    np.testing.assert_allclose(st[:, 1], one.history["sim_time"], rtol=RTOL)
    assert not np.allclose(st[:, 0], st[:, 1])


def test_no_cost_model_no_sim_time():
    prob = decopt.problems.quadratic(n=4, dim=2, seed=0)
    res = decopt.run("push_pull", prob, tp.exponential(4), steps=2, step_size=0.1)
    assert "sim_time" not in res.history


def test_plot_against_sim_time(tmp_path):
    from decopt import plotting
    prob = decopt.problems.quadratic(n=4, dim=2, seed=0)
    for cost in ("cluster-1g", None):
        res = decopt.run("push_pull", prob, tp.exponential(4), steps=20, step_size=0.1,
                         cost_model=cost)
        res.save(tmp_path / f"run_{cost}")
    runs = [tmp_path / "run_cluster-1g"]
    series = plotting.load_series(runs, x="sim_time")
    (curves,) = series.values()
    np.testing.assert_allclose(curves[0][0], res_x := Result_sim(runs[0]), rtol=RTOL)
    assert res_x[-1] > 0
    plotting.plot_dirs(runs, tmp_path / "f.png", x="sim_time")
    with pytest.raises(ValueError, match="sim_time"):
        plotting.load_series([tmp_path / "run_None"], x="sim_time")


def Result_sim(path):
    return np.asarray(decopt.Result.load(path).history["sim_time"], dtype=float)


@pytest.mark.parametrize("alg, spec, R", [("push_pull", "exp:16", 1),
                                          ("push_pull", "onepeer:16", 1),
                                          ("pull_diag_gt", "kout:16,k=3,seed=2", 3)])
def test_replay_from_counters_equals_the_clock(alg, spec, R):
    from decopt.mixing import resolve
    prob = decopt.problems.quadratic(n=16, dim=3, seed=0)
    m = cm.PROFILES["cluster-1g"].replace(jitter=0.3, overhead=1e-5, local_bandwidth=3e8)
    res = decopt.run(alg, prob, spec, steps=30, step_size=0.01, log_every=7, rounds=R,
                     cost_model=m, seed=[3, 4])
    mix = resolve(spec, decopt.algorithms.make(alg, 0.1).weights)
    mats = (mix.row or []) + (mix.col or [])
    got = cm.replay(m, res.history, mats, [3, 4], samples=R)
    # closed form vs round-by-round sums of ~100 terms: round-off only (rtol 1e-10)
    np.testing.assert_allclose(got, res.history["sim_time"], rtol=1e-10)
    # negative control: the queue length matters (parallel links give less time)
    wrong = cm.replay(m.replace(serialize="none"), res.history, mats, [3, 4], samples=R)
    if "onepeer" not in spec:
        assert not np.allclose(wrong, res.history["sim_time"], rtol=1e-6)
    # and so does the per-round local term
    free = cm.replay(m.replace(local_bandwidth=float("inf")), res.history, mats, [3, 4],
                     samples=R)
    assert not np.allclose(free, res.history["sim_time"], rtol=1e-6)


def test_replay_refuses_rounds_of_different_cost():
    M1, M2 = matrix(tp.directed_ring(5)), star_out(5)
    with pytest.raises(ValueError, match="rounds of one cost"):
        cm.replay(model(), {"rounds": [1], "floats": [1], "grad_evals": [1]}, [M1, M2], [0])

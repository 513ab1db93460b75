"""Bits on the wire (Counters.bits, pull/push ``compressor=``), ``gossip_round=``, and
``decopt.run(..., compression=...)`` validation."""

from __future__ import annotations

import numpy as np
import pytest

import decopt
from decopt import compression as comp
from decopt.mixing import resolve
from decopt.network import LocalNetwork


@pytest.fixture(scope="module")
def quad():
    return decopt.problems.quadratic(n=8, dim=10, heterogeneity=1.0, seed=1)


def _net(spec="exp:8", rounds=1):
    m = resolve(spec, "row+column")
    return LocalNetwork(row=m.row, col=m.col, rounds=rounds), m


def test_uncompressed_bits_are_64_per_float():
    net, m = _net()
    edges = m.row[0].nnz - 8
    net.pull(np.ones((8, 3)), np.ones((2, 8, 4)))
    assert net.counters.floats == edges * 7
    assert net.counters.bits == 64 * net.counters.floats


def test_compressed_message_counts_operator_bits():
    net, m = _net()
    edges = m.col[0].nnz - 8
    op = comp.TopK(0.25)
    net.push(np.ones((8, 12)), compressor=op)
    assert net.counters.bits == edges * op.bits(12) == edges * 3 * (64 + 4)
    # one operator per array; None = uncompressed
    net2, _ = _net()
    net2.push(np.ones((8, 12)), np.ones((8, 2)), compressor=[op, None])
    assert net2.counters.bits == edges * (op.bits(12) + 128)
    with pytest.raises(ValueError, match="2 compressors for 1 arrays"):
        net2.push(np.ones((8, 2)), compressor=[op, op])


def test_compressed_message_is_one_round():
    net, m = _net(rounds=3)
    A = m.row[0].toarray()
    z = np.random.default_rng(0).normal(size=(8, 2))
    with pytest.raises(ValueError, match="gossip_round=r"):
        net.pull(z, compressor=comp.Float16())
    out = net.pull(z, compressor=comp.Float16(), gossip_round=1)
    np.testing.assert_allclose(out, A @ z, rtol=1e-13)        # one round, not A^3
    assert net.counters.rounds == 1
    for bad in (3, -1, 1.0):
        with pytest.raises(ValueError, match="gossip_round must be an int in \\[0, rounds=3\\)"):
            net.pull(z, gossip_round=bad)
    assert net.rounds == 3 and net.step == 0               # restored after errors too


def test_gossip_round_selects_the_matrix_of_that_round():
    m = resolve("onepeer:8", "doubly")
    net = LocalNetwork(row=m.row, rounds=2)
    net.set_step(1)
    z = np.random.default_rng(1).normal(size=(8, 3))
    both = net.pull(z)
    net2 = LocalNetwork(row=m.row, rounds=2)
    net2.set_step(1)
    one = net2.pull(net2.pull(z, gossip_round=0), gossip_round=1)
    np.testing.assert_allclose(one, both, rtol=1e-14, atol=1e-15)


def test_history_logs_bits(quad):
    res = decopt.run("cpp", quad, "chords:8", steps=20, step_size=0.05, log_every=10,
                     compression="topk:0.2")
    h = res.history
    assert "bits" in h and h["bits"][-1] == res.counters["bits"]
    edges = resolve("chords:8", "row").row[0].nnz - 8
    # two compressed messages (x and y sides) per edge per iteration, k = 2 of d = 10
    assert res.counters["bits"] == 20 * 2 * edges * 2 * (64 + 4)
    assert res.counters["bits"] < 64 * res.counters["floats"]
    assert res.config["options"]["compression"] == "topk:0.2"
    plain = decopt.run("gt", quad, "exp:8", steps=5, step_size=0.05)
    assert plain.counters["bits"] == 64 * plain.counters["floats"]


def test_mg_compressed_rounds_count_r_messages(quad):
    res = decopt.run("choco", quad, "uring:8", steps=4, step_size=0.05, rounds=3,
                     compression="qsgd:4")
    edges = resolve("uring:8", "symmetric").row[0].nnz - 8
    assert res.counters["rounds"] == 4 * 3
    assert res.counters["bits"] == 4 * 3 * edges * comp.QSGD(4).bits(10)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("spec, match", [
    ("topk:0", "outside \\(0, 1\\]"), ("randk:1.5", "1.5 is outside"),
    ("gzip", "unknown compression 'gzip'")])
def test_run_rejects_bad_compression(spec, match, quad):
    with pytest.raises(ValueError, match=match):
        decopt.run("choco", quad, "uring:8", steps=1, step_size=0.1, compression=spec)


def test_run_refuses_compression_for_methods_without_it(quad):
    with pytest.raises(ValueError, match="'gt' cannot compress.*'topk:0.1'.*choco, cpp"):
        decopt.run("gt", quad, "exp:8", steps=1, step_size=0.1, compression="topk:0.1")
    # "none" is fine everywhere
    assert decopt.run("gt", quad, "exp:8", steps=1, step_size=0.1, compression="none").success


def test_time_varying_topology_refused(quad):
    with pytest.raises(ValueError, match="static topology.*period 3"):
        decopt.run("cpp", quad, "onepeer:8", steps=1, step_size=0.1)


def test_bad_method_parameters(quad):
    from decopt.algorithms import CHOCO, CPP
    with pytest.raises(ValueError, match="gamma must be in \\(0, 1\\], got 0"):
        CHOCO(0.1, gamma=0)
    with pytest.raises(ValueError, match="memory must be in"):
        CPP(0.1, memory=2.0)
    with pytest.raises(ValueError, match="unknown compression"):
        CPP(0.1, compression="top5")


@pytest.mark.parametrize("extra", [{"link_failure": 0.1}, {"activation": 0.5}])
@pytest.mark.parametrize("name", ["choco", "cpp"])
def test_kept_copies_refuse_changing_matrices(quad, name, extra):
    # CHOCO/CPP keep M x_hat: a matrix that changes every round (drops, sleeping nodes,
    # random topologies) would make those copies silently wrong
    topo = "uring:8" if name == "choco" else "exp:8"
    with pytest.raises(ValueError, match=f"'{name}' keeps copies.*static topology"):
        decopt.run(name, quad, topo, steps=1, step_size=0.1, **extra)
    with pytest.raises(ValueError, match="static topology"):
        decopt.run(name, quad, "random:kout:8,k=2" if name == "cpp" else "pairwise:uring:8",
                   steps=1, step_size=0.1)

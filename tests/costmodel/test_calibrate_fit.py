"""The arithmetic of ``decopt calibrate``'s network fit, on hand-made round times.

``decopt.calibrate._split_local`` turns four per-round times (directed ring r1 and
bidirectional ring r2, at widths 1 and ``big``) into a model. Here the times are built
from a known model, and the fit must give that model back; tolerance rtol = 1e-9 (a few
subtractions of numbers of similar size, ~1e-16 relative each, amplified by at most
~1e5 when the per-byte parts are small against the constant ones).
"""

from __future__ import annotations

import numpy as np
import pytest

import topologies as tp
from decopt import costmodel as cm
from decopt.calibrate import _ring, _split_local

RTOL = 1e-9
BIG = 4096


def rounds_of(m: cm.CostModel):
    """r1(1), r1(big), r2(1), r2(big) of model m on rings of out-degree 1 and 2."""
    ring, biring = _ring(5)[0], _ring(5, (1, -1))[0]
    return [m.round_time(M, 64 * w) for M in (ring, biring) for w in (1, BIG)]


def test_the_fit_gives_the_model_back():
    truth = cm.CostModel(latency=3e-6, bandwidth=0.8e9, overhead=150e-6,
                         local_bandwidth=1.3e9)
    fit, details = _split_local(rounds_of(truth), BIG)
    assert fit is not None
    for key in ("latency", "bandwidth", "overhead", "local_bandwidth"):
        assert getattr(fit, key) == pytest.approx(getattr(truth, key), rel=RTOL), key
    # the fit predicts a graph it never saw (the star's hub sends 4 messages)
    star = tp.row_stochastic(tp.star(5))
    assert fit.round_time(star, 64 * 1000) == pytest.approx(
        truth.round_time(star, 64 * 1000), rel=RTOL)
    assert details["message_8B"] == pytest.approx(truth.message_time(64), rel=RTOL)


def test_negative_control_a_model_without_the_local_term_misses_the_star():
    """Charging the whole directed-ring round per message (what two ranks must do)
    over-predicts the star when part of the round is paid once per round: the check
    above can fail."""
    truth = cm.CostModel(latency=3e-6, bandwidth=0.8e9, overhead=150e-6,
                         local_bandwidth=1.3e9)
    r1, r1b = rounds_of(truth)[:2]
    beta = 8 * (BIG - 1) / (r1b - r1)
    whole = cm.CostModel(latency=3e-6, bandwidth=beta, overhead=r1 - 3e-6 - 8 / beta)
    star = tp.row_stochastic(tp.star(5))
    assert whole.round_time(star, 64 * BIG) > 1.2 * truth.round_time(star, 64 * BIG)


def test_a_free_local_part_gives_a_free_local_term():
    """gamma = inf in the truth: the fitted per-round byte cost of a big message is
    round-off (gamma infinite or above 1e20 B/s: < 1e-12 s for 32 KB)."""
    truth = cm.CostModel(latency=3e-6, bandwidth=0.8e9, overhead=150e-6)
    fit, _ = _split_local(rounds_of(truth), BIG)
    assert 8 * BIG / fit.local_bandwidth < 1e-12
    assert fit.bandwidth == pytest.approx(truth.bandwidth, rel=RTOL)


@pytest.mark.parametrize("times", [[1.0, 2.0, 1.0, 2.0],     # no cost per message
                                   [1.0, 2.0, 0.5, 1.0],     # r2 < r1: noise
                                   [1.0, 2.0, 3.0, 3.5]])    # rest of the round < 0
def test_noise_larger_than_the_effect_falls_back(times):
    fit, details = _split_local(np.array(times) * 1e-4, BIG)
    assert fit is None and "message_8B" in details


def test_rings():
    A, B = _ring(4)
    assert A is B and np.allclose(A.sum(axis=1), 1) and np.allclose(A.sum(axis=0), 1)
    assert sorted(zip(*A.nonzero())) == [(0, 0), (0, 3), (1, 0), (1, 1), (2, 1), (2, 2),
                                         (3, 2), (3, 3)]
    bi, _ = _ring(4, (1, -1))
    out_deg = (bi.toarray() > 0).sum(axis=0) - 1
    assert list(out_deg) == [2, 2, 2, 2] and np.allclose(bi.sum(axis=0), 1)
    two, _ = _ring(2, (1, -1))          # on two ranks both hops reach the same node
    assert np.allclose(two.toarray(), [[1 / 3, 2 / 3], [2 / 3, 1 / 3]])

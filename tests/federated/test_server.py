"""The server verb ``net.average`` and client sampling ``net.participants``."""

from __future__ import annotations

import math

import numpy as np
import pytest

from decopt.network import LocalNetwork, Network


def _net(n, p=1.0, seeds=(0,)):
    return LocalNetwork(n=n, participation=p, seeds=seeds)


def test_average_is_the_exact_masked_mean_on_every_row():
    rng = np.random.default_rng(0)
    net = _net(7)
    a, b = rng.normal(size=(7, 3)), rng.normal(size=(7, 2))
    mask = np.array([1, 0, 1, 1, 0, 0, 1], dtype=bool)
    ma, mb = net.average(a, b, mask=mask)
    # 1e-15 relative: a sum of 4 numbers divided by 4, against numpy's mean
    assert ma.shape == a.shape and mb.shape == b.shape
    np.testing.assert_allclose(ma, np.broadcast_to(a[mask].mean(0), a.shape), rtol=1e-15,
                               atol=1e-15)
    np.testing.assert_allclose(mb, np.broadcast_to(b[mask].mean(0), b.shape), rtol=1e-15,
                               atol=1e-15)
    # full participation by default
    np.testing.assert_allclose(net.average(a), np.broadcast_to(a.mean(0), a.shape),
                               rtol=1e-15, atol=1e-15)


def test_average_batched_runs_use_their_own_masks():
    rng = np.random.default_rng(1)
    net = _net(5, seeds=(0, 1))
    x = rng.normal(size=(2, 5, 4))
    mask = np.array([[1, 1, 0, 0, 0], [0, 0, 1, 1, 1]], dtype=bool)
    out = net.average(x, mask=mask)
    for r in range(2):
        np.testing.assert_allclose(out[r], np.broadcast_to(x[r, mask[r]].mean(0), (5, 4)),
                                   rtol=1e-15, atol=1e-15)


def test_average_counts_uploads_downloads_and_bits_not_rounds():
    net = _net(6)
    x = np.zeros((6, 5))
    mask = np.array([1, 1, 1, 0, 0, 0], dtype=bool)
    net.average(x, x[:, :2], mask=mask)
    c = net.counters
    assert (c.uploads, c.downloads) == (3, 3)
    assert c.bits == 2 * 64 * 3 * 7          # both directions, 7 floats per client
    assert c.rounds == 0 and c.messages == 0  # gossip counters untouched


def test_empty_mask_is_refused():
    with pytest.raises(ValueError, match="no node takes part"):
        _net(3).average(np.ones((3, 2)), mask=np.zeros(3, dtype=bool))


def test_wrong_shape_names_the_shape():
    with pytest.raises(ValueError, match=r"m=4 hosted nodes, got shape \(3, 2\)"):
        _net(4).average(np.ones((3, 2)))


@pytest.mark.parametrize("n, p", [(10, 0.3), (10, 0.01), (7, 0.5), (16, 1.0), (1, 0.2)])
def test_participants_fixed_size_never_empty(n, p):
    net = _net(n, p, seeds=(3,))
    k = max(1, math.ceil(p * n))
    for r in range(20):
        net.set_step(r)
        m = net.participants()
        assert m.shape == (n,) and m.dtype == bool
        assert m.sum() == k == net.participant_count


def test_participants_reproducible_per_seed_and_round_and_uniform():
    n, p = 12, 0.25
    a, b = _net(n, p, seeds=(5,)), _net(n, p, seeds=(5,))
    masks = []
    for r in range(400):
        a.set_step(r)
        b.set_step(r)
        masks.append(a.participants())
        np.testing.assert_array_equal(masks[-1], b.participants())
    masks = np.array(masks)
    assert len({m.tobytes() for m in masks[:50]}) > 30     # the subset changes per round
    # each node is sampled with probability k/n = 3/12; over 400 rounds the count is
    # Binomial(400, 0.25): mean 100, sd 8.7; 5 sd bounds make a false failure ~1e-6
    counts = masks.sum(axis=0)
    assert np.all(np.abs(counts - 100) < 5 * 8.7), counts
    other = _net(n, p, seeds=(6,))
    other.set_step(0)
    a.set_step(0)
    batched = _net(n, p, seeds=(5, 6))
    batched.set_step(0)
    np.testing.assert_array_equal(batched.participants(),
                                  np.stack([a.participants(), other.participants()]))


class _Hosting(Network):
    """A process hosting only some nodes (as an MPI rank does)."""

    def __init__(self, n, nodes, p, seeds):
        super().__init__(n, nodes, participation=p, seeds=seeds)


def test_participants_do_not_depend_on_placement():
    n, p = 11, 0.4
    full = _net(n, p, seeds=(9,))
    parts = [_Hosting(n, np.arange(0, 4), p, (9,)), _Hosting(n, np.arange(4, 11), p, (9,))]
    for r in range(10):
        for net in (full, *parts):
            net.set_step(r)
        np.testing.assert_array_equal(
            full.participants(), np.concatenate([q.participants() for q in parts]))

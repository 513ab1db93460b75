"""Counter-based draws: placement-free, reproducible, and uniform enough to rely on."""

import numpy as np
import pytest

from decopt import streams


def test_rows_do_not_depend_on_which_nodes_are_drawn_together():
    full = streams.uniform(7, "compression", 3, np.arange(10), 5)
    part = streams.uniform(7, "compression", 3, [8, 2], 5)
    np.testing.assert_array_equal(part, full[[8, 2]])


def test_every_key_changes_the_draws():
    base = streams.uniform(1, "link_failure", 0, [0], 64)
    for other in (streams.uniform(2, "link_failure", 0, [0], 64),
                  streams.uniform(1, "activation", 0, [0], 64),
                  streams.uniform(1, "link_failure", 1, [0], 64),
                  streams.uniform(1, "link_failure", 0, [1], 64)):
        assert not np.array_equal(base, other)


def test_uniform_moments():
    # 200k draws: the mean's standard error is 0.29/sqrt(2e5) = 6.5e-4, so 5e-3 is 7 sigma
    u = streams.uniform(0, "compression", 0, np.arange(200), 1000)
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 5e-3
    assert abs(u.var() - 1 / 12) < 5e-3
    # neighbouring nodes and counters are uncorrelated (|corr| < 5 / sqrt(N))
    c = np.corrcoef(u[:-1].ravel(), u[1:].ravel())[0, 1]
    assert abs(c) < 5 / np.sqrt(u[1:].size)


def test_normal_moments():
    z = streams.normal(3, "compression", 0, np.arange(100), 2000)
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01


def test_subset_is_distinct_sorted_and_uniform():
    idx = streams.subset(0, "compression", 0, np.arange(5000), 10, 3)
    assert idx.shape == (5000, 3)
    assert (np.diff(idx, axis=1) > 0).all()
    freq = np.bincount(idx.ravel(), minlength=10) / idx.size
    assert np.abs(freq - 0.1).max() < 0.01   # 15000 draws: s.e. 2.4e-3, 4 sigma


def test_batched_seeds_stack():
    u = streams.uniform([0, 1], "activation", 0, [0, 1], 4)
    assert u.shape == (2, 2, 4)
    np.testing.assert_array_equal(u[1], streams.uniform(1, "activation", 0, [0, 1], 4))


def test_unknown_tag_is_refused():
    with pytest.raises(ValueError, match="unknown random-stream tag 'nope'"):
        streams.uniform(0, "nope", 0, [0], 1)

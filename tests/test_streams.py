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


def test_subset_fast_path_is_uniform_over_subsets():
    """4 k <= d takes the first k distinct of 2k + 8 integers (the k-subset draw of
    random:kout). Every one of the C(9, 2) = 36 subsets must appear equally often:
    chi-square over 36 cells with 180,000 draws, refused at p < 1e-4; the control
    below (a sampler that favours small indices) must be refused."""
    from scipy import stats
    n = 180_000
    idx = streams.subset(4, "topology", 0, np.arange(n), 9, 2)
    assert (np.diff(idx, axis=1) > 0).all() and idx.min() >= 0 and idx.max() <= 8
    code = idx[:, 0] * 9 + idx[:, 1]
    counts = np.bincount(code, minlength=81)[[i * 9 + j for i in range(9)
                                              for j in range(i + 1, 9)]]
    assert counts.sum() == n
    assert stats.chisquare(counts).pvalue > 1e-4
    # negative control: the k smallest distinct of the same 2k + 8 integers (biased
    # towards small indices) fails the same test
    v = np.minimum((streams.uniform(4, "topology", 0, np.arange(n), 12) * 9).astype(int), 8)
    s = np.sort(v, axis=1)
    first = np.ones_like(s, dtype=bool)
    first[:, 1:] = s[:, 1:] != s[:, :-1]
    ok = first.sum(axis=1) >= 2
    small = np.array([row[f][:2] for row, f in zip(s[ok], first[ok])])
    bad = np.bincount(small[:, 0] * 9 + small[:, 1], minlength=81)[
        [i * 9 + j for i in range(9) for j in range(i + 1, 9)]]
    assert stats.chisquare(bad).pvalue < 1e-4


def test_subset_is_a_pure_function_of_the_node():
    """Fast path and fallback alike: a node's subset does not depend on which other
    nodes are drawn with it (what lets MPI ranks draw only their own nodes)."""
    for d, k in ((40, 10), (1000, 4), (7, 3)):
        a = streams.subset(5, "topology", 7, np.arange(300), d, k)
        b = streams.subset(5, "topology", 7, np.arange(150, 300, 7), d, k)
        np.testing.assert_array_equal(a[150::7], b)

"""The in-process backend multiplies a random topology's rounds as compact matrices (the
round's own edges and the diagonal, O(n k) entries) instead of values on the n^2
support; the MPI backend keeps the support. Both must give the same numbers.

Tolerance: exact equality. The compact matrix holds the same values in the same
(sorted) column order as the support without its explicit zeros, and adding +0.0 does
not change a float64 sum, so every product is bit-identical.
"""

from __future__ import annotations

import numpy as np
import pytest

import decopt
from decopt.backends.local import LocalNetwork

CASES = [("random:kout:24,k=3,every=2", {}),
         ("random:kout:24,k=3", {"link_failure": 0.2, "seed": [1, 2]}),
         ("random:onepeer:16,every=3", {"activation": 0.7}),
         ("pairwise:uring:12", {"link_failure": 0.1})]


def _run(spec, kw, compact, monkeypatch, alg="push_pull"):
    monkeypatch.setattr(LocalNetwork, "compact_rounds", compact)
    n = int(spec.split(":")[-1].split(",")[0]) if "pairwise" not in spec else 12
    prob = decopt.problems.quadratic(n=n, dim=3, seed=0)
    if "onepeer" in spec or "pairwise" in spec:
        alg = "dsgd"
    return decopt.run(alg, prob, spec, steps=25, step_size=0.02, log_every=5,
                      cost_model="cluster-1g", **kw)


@pytest.mark.parametrize("spec, kw", CASES)
def test_compact_rounds_equal_the_support_path(spec, kw, monkeypatch):
    a = _run(spec, kw, True, monkeypatch)
    b = _run(spec, kw, False, monkeypatch)
    np.testing.assert_array_equal(a.x, b.x)
    assert a.counters == b.counters
    for key in ("grad_norm", "consensus", "sim_time", "messages"):
        np.testing.assert_array_equal(a.history[key], b.history[key], err_msg=key)


def test_negative_control_the_comparison_sees_a_changed_round(monkeypatch):
    """Another link-failure draw changes x: the equality above is not vacuous."""
    spec, kw = CASES[1]
    a = _run(spec, kw, True, monkeypatch)
    b = _run(spec, {**kw, "link_failure": 0.25}, True, monkeypatch)
    assert not np.array_equal(a.x, b.x)


def test_compact_matrix_is_the_support_matrix_without_zeros():
    from decopt.dynamic import from_spec
    gen = from_spec("random:kout:30,k=4,every=1")
    for side in ("row", "column"):
        full = gen.matrix(side, 7, 3)
        small = gen.matrix(side, 7, 3, compact=True)
        assert small.nnz == 30 * 4 + 30 and full.nnz == 30 * 30
        np.testing.assert_array_equal(small.toarray(), full.toarray())

"""The link-failure figure's claim check: supported on its quick data, and rejects data
where an exact method keeps an error or a biased method becomes exact (negative
controls). The figure itself is built by tests/test_paper_figures.py with the others."""

from __future__ import annotations

import copy

import pytest

from paper_figures import link_failures as fig


@pytest.fixture(scope="module")
def data():
    return fig.collect(None, quick=True)


def test_claim_supported_on_quick_data(data):
    ok, summary = fig.check(data)
    assert ok, summary
    for alg in fig.EXACT:      # p = 0 and p > 0 both converge (slower with failures)
        assert all(r["reach"] == r["reach"] for r in data["methods"][alg]["rows"])


def test_check_rejects_an_inexact_exact_method(data):
    bad = copy.deepcopy(data)
    bad["methods"]["push_pull"]["rows"][-1]["final"] = 1e-3
    assert not fig.check(bad)[0]


def test_check_rejects_a_biased_method_that_became_exact(data):
    bad = copy.deepcopy(data)
    for r in bad["methods"]["gt"]["rows"]:
        r["final"] = 1e-14
    assert not fig.check(bad)[0]

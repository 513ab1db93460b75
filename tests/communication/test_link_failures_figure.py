"""The link-failure figure's claim check: supported on its quick data, and rejects data
where an exact method keeps an error or a biased method becomes exact (negative
controls). The figure itself is built by tests/test_paper_figures.py with the others."""

from __future__ import annotations

import copy

import pytest

from paper_figures import link_failures as fig
from paper_figures.common import load_runs, run_study


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """The quick study experiments/link_failures.toml, run into a temporary directory."""
    study, d = run_study(fig.STUDY, quick=True, results=tmp_path_factory.mktemp("lf"),
                         progress=False, echo=None)
    return fig.collect(load_runs(study, d))


def test_study_grid(data):
    assert set(data["methods"]) == set(fig.EXACT + fig.BIASED)
    assert data["ps"] == [0.0, 0.5] and data["n"] == 8
    for m in data["methods"].values():
        assert [r["p"] for r in m["rows"]] == [0.0, 0.5]
        assert m["rows"][0]["messages"] != m["rows"][1]["messages"]   # drops counted


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

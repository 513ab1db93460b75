"""The paper figures: every figure builds in --quick mode from freshly generated results,
and each figure's claim holds in its data (so a regression in an algorithm shows up as a
failed figure claim).

The quick studies run once per session (about a minute on two cores) into temporary
directories; the tests then read what was built.
"""

from __future__ import annotations

import copy

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import paper_figures  # noqa: E402
from paper_figures import FIGURES, figure_module  # noqa: E402
from paper_figures.__main__ import main  # noqa: E402
from paper_figures.common import results_root  # noqa: E402


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Every figure in quick mode, from fresh results in a temporary directory."""
    results = tmp_path_factory.mktemp("results")
    root = tmp_path_factory.mktemp("figures")
    done = {name: paper_figures.build(name, quick=True, results=results, out=root,
                                      progress=False, echo=None)
            for name in FIGURES}
    return {"results": results, "out": root / "quick", "root": root, "figures": done}


# ----------------------------------------------------------------------------- outputs
@pytest.mark.parametrize("name", FIGURES)
def test_figure_builds_with_report(built, name):
    b = built["figures"][name]
    out = built["out"]
    for ext in ("pdf", "png", "txt"):
        f = out / f"{name}.{ext}"
        assert f.exists() and f.stat().st_size > 0, f
    assert (out / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / f"{name}.pdf").read_bytes()[:5] == b"%PDF-"
    text = (out / f"{name}.txt").read_text()
    assert "claim:" in text and "mode: quick" in text
    assert f"-> {'SUPPORTED' if b.supported else 'NOT SUPPORTED'}" in text


@pytest.mark.parametrize("name", FIGURES)
def test_figure_claim_supported(built, name):
    b = built["figures"][name]
    assert b.supported, f"{name}: claim not supported in the quick data: {b.summary}"


def test_quick_and_full_figures_go_to_different_directories(built):
    from paper_figures.common import out_dir
    assert out_dir(built["root"], quick=True) == built["root"] / "quick"
    assert out_dir(built["root"], quick=False) == built["root"] / "full"
    assert sorted(p.name for p in built["root"].iterdir()) == ["quick"]


# --------------------------------------------------------------------------- style
def _texts(fig):
    from matplotlib.text import Text
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


@pytest.mark.parametrize("name", FIGURES)
def test_figure_is_publication_sized(built, name):
    """Printed size: one column (3.3 in) or two (6.9 in) wide; every text >= 7 pt at that
    size; the mode is written on the figure; no log axis runs 12+ decades below its data
    maximum; the PDF is vector (no embedded raster image)."""
    from paper_figures import style as sty
    b = built["figures"][name]
    fig = b.data["_figure"]
    w = fig.get_figwidth()
    assert min(abs(w - sty.ONE_COLUMN), abs(w - sty.TWO_COLUMN)) < 1e-9, w
    small = [(t.get_text()[:30], t.get_fontsize()) for t in _texts(fig)
             if t.get_fontsize() < sty.MIN_FONT]
    assert not small, small
    assert any("quick mode" in t.get_text() for t in _texts(fig))
    for ax in fig.axes:
        if ax.get_visible() and ax.get_yscale() == "log":
            lo, hi = ax.get_ylim()
            assert lo > 1e-20, (name, lo, hi)
    pdf = (built["out"] / f"{name}.pdf").read_bytes()
    assert b"/Subtype /Image" not in pdf


def test_palette_is_okabe_ito_with_distinct_markers():
    from paper_figures import style as sty
    main_algs = ["push_pull", "ab", "pull_diag_gt", "mg_pull_diag_gt"]
    colours = [sty.algorithm_style(a)["color"] for a in main_algs]
    markers = [sty.algorithm_style(a)["marker"] for a in main_algs]
    assert set(colours) <= set(sty.OKABE_ITO.values())
    assert len(set(colours)) == len(set(markers)) == len(main_algs)
    sh = sty.shades("push_pull", 4)
    assert len({s["marker"] for s in sh}) == 4


def test_std_band_option():
    import numpy as np
    from paper_figures import style as sty
    fig, axes = sty.new_figure()
    ax = axes[0, 0]
    Y = np.array([[1.0, 10.0], [10.0, 100.0]])
    sty.band_line(ax, [0, 1], Y, band="std", color="k")
    (poly,) = ax.collections
    ys = poly.get_paths()[0].vertices[:, 1]
    # geometric mean sqrt(10) and 10*sqrt(10), times/over 10^0.5 (std of log10 = 0.5)
    assert np.isclose(ys.max(), 100.0) and np.isclose(ys[ys > 0].min(), 1.0)


def test_log_ylim_clipped_to_data_floor():
    from paper_figures import style as sty
    fig, axes = sty.new_figure()
    ax = axes[0, 0]
    ax.plot([0, 1, 2, 3], [1.0, 1e-6, 1e-25, 1e-25])
    ax.set_yscale("log")
    sty.clip_log_ylim(ax)
    assert ax.get_ylim()[0] >= 10.0 ** -sty.Y_DECADES
    assert ax.get_xlim()[1] < 3


def test_quick_results_are_separate(built):
    root = built["results"]
    assert results_root(root, quick=True) == root / "quick"
    dirs = sorted(p.name for p in (root / "quick").iterdir())
    assert dirs and all(d.endswith("_quick") for d in dirs), dirs
    assert not any(p.name != "quick" for p in root.iterdir())
    for d in dirs:
        assert (root / "quick" / d / "summary.csv").exists()


# ------------------------------------------------------------------ claims in the data
def test_pulldiag_consensus_rates_and_transient(built):
    data = built["figures"]["pulldiag_consensus"].data
    rows = [r for p in data["panels"].values() for r in p]
    assert len(rows) >= 6
    for r in rows:   # decay no slower than beta^k, and not absurdly fast on the ring
        assert r["rho"] <= r["beta"] + 1e-3, r
    ring = sorted(data["panels"]["fixed_kappa"], key=lambda r: r["beta"])
    assert [r["rho"] for r in ring] == sorted(r["rho"] for r in ring)
    for r in ring:   # the ring's tail rate is its |lambda_2| (normal-ish matrix)
        assert abs(r["rho"] - r["slem"]) < 0.1 * (1 - r["slem"]) + 0.02, r
    chain = sorted(data["panels"]["fixed_beta"], key=lambda r: r["kappa"])
    peaks = [r["peak"] for r in chain]
    assert all(b > 10 * a for a, b in zip(peaks, peaks[1:])), peaks


def test_pulldiag_gt_speedup_slopes(built):
    m = figure_module("pulldiag_gt_speedup")
    data = built["figures"]["pulldiag_gt_speedup"].data
    assert set(data["panels"]) == {"exp", "skewring"}
    for name, p in data["panels"].items():
        assert abs(p["slope"] - m.TARGET) <= m.SLOPE_TOL, (name, p["slope"])
        steady = [r["steady"] for r in p["rows"]]
        assert steady == sorted(steady, reverse=True), (name, steady)


def test_push_pull_speedup_slopes(built):
    m = figure_module("push_pull_speedup")
    data = built["figures"]["push_pull_speedup"].data
    assert len(data["panels"]) == 6
    assert abs(data["pooled_slope"] - m.TARGET) <= m.POOLED_TOL, data["pooled_slope"]
    # the paper's form and weights: CTA (decopt's ab) with random integer weights
    assert data["weights"] == ["random"]
    assert "atc" in data and len(data["atc"]["panels"]) == 6


def test_mg_beats_plain_on_small_diagonal_graphs(built):
    m = figure_module("mg_vs_plain")
    data = built["figures"]["mg_vs_plain"].data
    small = [g for g in m.graphs(data) if m.judged(g, quick=True)]
    assert small
    # at equal rounds MG is at least as good on every small-diagonal graph (within the
    # claim's 10%), and far better (2x, or plain diverged) on at least one
    for g in small:
        assert np.isfinite(g["mg"]) and g["ratio"] <= 1.1, g
    assert min(g["ratio"] for g in small) <= 0.5


def test_topology_table_rows(built):
    data = built["figures"]["topology_table"].data
    specs = {r["spec"] for r in data["rows"]}
    assert {"skewring:16", "skewchain:10"} <= specs
    for r in data["rows"]:
        assert r["pi_min"] <= r["pi_max"] and r["beta"] < 1 and r["R"] >= 1


# ------------------------------------------------------- the checks can say "no"
def test_checks_reject_broken_data(built):
    figs = built["figures"]
    m = figure_module("pulldiag_gt_speedup")
    data = copy.deepcopy(figs["pulldiag_gt_speedup"].data)
    data["panels"]["exp"]["slope"] = 0.0           # no speedup
    ok, summary = m.check(data)
    assert not ok and "0" in summary

    m = figure_module("push_pull_speedup")
    data = copy.deepcopy(figs["push_pull_speedup"].data)
    data["pooled_slope"] = -0.5
    assert not m.check(data)[0]

    m = figure_module("pulldiag_consensus")
    data = copy.deepcopy(figs["pulldiag_consensus"].data)
    data["panels"]["fixed_beta"][-1]["peak"] = 0.0   # transient no longer grows
    assert not m.check(data)[0]
    data = copy.deepcopy(figs["pulldiag_consensus"].data)
    data["panels"]["fixed_kappa"][0]["rho"] = 0.999  # decays slower than beta^k
    assert not m.check(data)[0]

    m = figure_module("mg_vs_plain")
    data = copy.deepcopy(figs["mg_vs_plain"].data)
    for p in data["panels"]:                         # MG diverges everywhere
        for ln in p["lines"]:
            ln["final"] = float("inf") if ln["R"] > 1 else 1.0
    assert not m.check(data)[0]

    m = figure_module("topology_table")
    data = copy.deepcopy(figs["topology_table"].data)
    next(r for r in data["rows"] if r["spec"] == "skewring:16")["kappa"] = 3.0
    assert not m.check(data)[0]


# ------------------------------------------------------------------------------- CLI
def test_cli_list_and_errors(capsys):
    assert main(["--list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in FIGURES)
    assert main(["pulldiag_consensu"]) == 2
    err = capsys.readouterr().err
    assert "unknown figure 'pulldiag_consensu'" in err and "pulldiag_consensus" in err


def test_cli_rebuilds_from_existing_results(built, tmp_path, capsys):
    """A second build reads the finished results (no run again) and rewrites the files."""
    rc = main(["mg_vs_plain", "topology_table", "--quick", "--no-progress",
               "--results", str(built["results"]), "--out", str(tmp_path)])
    assert rc == 0
    out = capsys.readouterr().out
    assert "already done" in out and "2 figure(s)" in out
    assert (tmp_path / "quick" / "mg_vs_plain.png").exists()
    assert (tmp_path / "quick" / "topology_table.txt").read_text().startswith(
        "topology_table:")


def test_cli_has_resume():
    from paper_figures.__main__ import parser
    assert parser().parse_args(["--resume"]).resume is True



"""paper_figures/compression.py: the claim check on synthetic curves (supported and
not), so the check can fail; the full figure is built by tests/test_paper_figures.py."""

import copy

import numpy as np

from paper_figures import compression as fig


def _curve(bits_per_step, rate, floor=0.0, steps=200):
    k = np.arange(steps)
    return {"bits": bits_per_step * k, "err": np.maximum(rate ** k, floor), "success": True}


def _data():
    panels = {
        "undirected": {"gt": _curve(1000, 0.95), "choco_none": _curve(1000, 0.95, 0.01),
                       "choco_topk0.1": _curve(100, 0.95, 0.01)},
        "directed": {"push_pull": _curve(1000, 0.9), "cpp_qsgd4": _curve(300, 0.9)},
    }
    runs_data = {"panels": panels, "targets": {}, "bits_to_target": {}}
    for g, curves in panels.items():
        t = fig.DIRECTED_TARGET if g == "directed" else 2 * curves["choco_none"]["err"][-1]
        runs_data["targets"][g] = t
        runs_data["bits_to_target"][g] = {k: fig._bits_to(c["bits"], c["err"], t)
                                          for k, c in curves.items()}
    return runs_data


def test_check_supported_and_not():
    data = _data()
    ok, summary = fig.check(data)
    assert ok, summary
    bad = copy.deepcopy(data)
    bad["bits_to_target"]["directed"]["cpp_qsgd4"] = np.inf     # never reaches 1e-6
    ok, summary = fig.check(bad)
    assert not ok and "never reaches" in summary
    worse = copy.deepcopy(data)
    worse["bits_to_target"]["undirected"]["choco_topk0.1"] = 1e12
    assert not fig.check(worse)[0]


def test_plot_runs():
    f = fig.plot(_data())
    assert len(f.axes) == 2

"""Regenerate the figures of [LCLY25] (arXiv:2506.04600) and [LLY25] (arXiv:2506.18075).

``python -m paper_figures [NAME ...] [--quick] [--results DIR] [--out DIR]`` (from the
repository root) runs the missing runs of each figure's study in ``experiments/`` through
the study API, reads the result files back, and writes ``<out>/<name>.pdf``, ``.png`` and
a text report ``<out>/<name>.txt`` stating the paper's claim and whether the regenerated
data support it, with the number that decides it.

Every figure module exposes ``collect(runs) -> data``, ``check(data) -> (supported,
summary)`` and ``plot(data) -> Figure`` (see :mod:`paper_figures.common`); the tests and
the reports share ``check``.

This package imports ``decopt`` and ``topologies``; neither imports it.
"""

from __future__ import annotations

import importlib

#: Figure names, in the order they are built.
FIGURES = ("topology_table", "pulldiag_consensus", "pulldiag_gt_speedup", "mg_vs_plain",
           "push_pull_speedup", "federated", "compression",
           "link_failures", "time_to_accuracy")


def figure_module(name: str):
    """The module of a figure; ValueError for an unknown name."""
    if name not in FIGURES:
        import difflib
        close = difflib.get_close_matches(name, FIGURES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; valid: {', '.join(FIGURES)}"
        raise ValueError(f"unknown figure {name!r}{hint}")
    return importlib.import_module(f"{__name__}.{name}")


def build(name: str, **kwargs):
    """Build one figure (see :func:`paper_figures.common.build` for the keywords)."""
    from .common import build as _build
    return _build(figure_module(name), **kwargs)


__all__ = ["FIGURES", "figure_module", "build"]

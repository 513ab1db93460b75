"""Accuracy against bits on the wire: compressed vs uncompressed, undirected and directed.

Data: ``experiments/compression.toml`` (groups ``undirected`` and ``directed``):
deterministic gradients on heterogeneous strongly convex quadratics; CHOCO-SGD
[arXiv:1902.00340] with top-k 10%, QSGD 4 levels and the scaled sign against gradient
tracking on a 4x4 torus; Compressed Push-Pull [arXiv:2106.07243] with QSGD 2 / 4 levels
and bfloat16 against Push-Pull on a ring with chords. Plotted: max_i ||x_i - x*||
relative to its start against the bits sent (``history["bits"]``).

Claim check: on the directed graph every CPP run reaches 1e-6 with fewer bits than
Push-Pull; on the torus every compressed CHOCO run reaches twice the bias floor of
uncompressed CHOCO (its O(alpha) fixed-point error, read from the ``choco_none`` run)
with fewer bits than GT.
"""

from __future__ import annotations

import math

import numpy as np

from . import style as sty
from .common import fmt

NAME = "compression"
TITLE = "Compressed communication: accuracy against bits sent"
REFERENCE = "[KSJ19] arXiv:1902.00340 Fig. 5-6 style; [SSPY21] arXiv:2106.07243 Sec. 6 style"
CLAIM = ("Compressed methods reach a given accuracy with fewer bits on the wire than their "
         "uncompressed counterparts: CHOCO vs GT (undirected), CPP vs Push-Pull (directed)")
STUDY = "compression"
DIRECTED_TARGET = 1e-6
BIAS_FACTOR = 2.0
BASELINE = {"undirected": "gt", "directed": "push_pull"}


def _bits_to(x, y, target):
    hit = np.nonzero(np.asarray(y) <= target)[0]
    return float(x[hit[0]]) if hit.size else math.inf


def collect(runs) -> dict:
    panels: dict = {}
    for r in runs:
        h = r.result.history
        e = np.asarray(h["err_max"], dtype=float)
        e = e.reshape(len(e), -1)[:, 0] if e.ndim > 1 else e
        panels.setdefault(r.group, {})[r.label] = {
            "bits": np.asarray(h["bits"], dtype=float), "err": e / e[0],
            "success": bool(r.result.success)}
    out = {"panels": panels, "targets": {}, "bits_to_target": {}}
    for g, curves in panels.items():
        if g == "directed":
            target = DIRECTED_TARGET
        else:
            floor = curves.get("choco_none", {}).get("err", np.array([math.nan]))[-1]
            target = BIAS_FACTOR * float(floor)
        out["targets"][g] = target
        out["bits_to_target"][g] = {lab: _bits_to(c["bits"], c["err"], target)
                                    for lab, c in curves.items()}
    return out


def check(data) -> tuple[bool, str]:
    parts, ok = [], bool(data["panels"])
    for g, bits in data["bits_to_target"].items():
        base = BASELINE.get(g)
        if base not in bits:
            return False, f"group {g!r} has no {base!r} run"
        b0 = bits[base]
        comp = {k: v for k, v in bits.items() if k != base and k != "choco_none"}
        good = math.isfinite(b0) and bool(comp) and all(v < b0 for v in comp.values())
        ok = ok and good
        ratios = ", ".join(f"{k} {fmt(b0 / v)}x" if math.isfinite(v) and v > 0 else
                           f"{k} never reaches it" for k, v in comp.items())
        parts.append(f"{g} (target {fmt(data['targets'][g])}): {base} needs {fmt(b0)} bits; "
                     f"fewer by {ratios}")
    return ok, "; ".join(parts)


def details(data) -> str:
    lines = []
    for g, bits in data["bits_to_target"].items():
        lines.append(f"{g}: bits to reach {fmt(data['targets'][g])}")
        lines += [f"  {k:<16} {fmt(v)}" for k, v in bits.items()]
    return "\n".join(lines)


def plot(data):
    names = [g for g in ("undirected", "directed") if g in data["panels"]]
    fig, axes = sty.new_figure(1, max(1, len(names)), width=3.8, height=3.0)
    with sty.style():
        for ax, g in zip(axes[0], names):
            for lab, c in data["panels"][g].items():
                alg = lab.split("_")[0] if lab not in ("push_pull",) else lab
                st = sty.algorithm_style("push_pull" if alg == "push" else alg, 1)
                dashed = lab in (BASELINE[g], "choco_none")
                ax.plot(c["bits"], c["err"], label=lab, color=None if not dashed else "k",
                        ls="--" if dashed else "-", marker=st.get("marker"),
                        markevery=max(1, len(c["bits"]) // 8))
            ax.axhline(data["targets"][g], color="0.5", lw=0.8, ls=":")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("bits sent (all links, one run)")
            ax.set_ylabel("max_i ||x_i - x*|| / initial")
            ax.set_title(f"{g}: {'CHOCO vs GT' if g == 'undirected' else 'CPP vs Push-Pull'}")
            ax.legend(fontsize=7)
    fig.suptitle("Accuracy against bits on the wire (deterministic gradients, quadratics)")
    return fig


if __name__ == "__main__":   # python -m paper_figures.compression [--quick] ...
    import sys

    from .__main__ import main
    sys.exit(main([NAME] + sys.argv[1:]))

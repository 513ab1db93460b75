"""Summaries of a study: ``summary.csv`` rows and the text table printed after a run."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from ..formatting import fmt_number as _fmt_num
from ..formatting import fmt_short, format_table
from ..options import OPTIONS
from ..result import atomic_write
from .schema import METRICS, Study, nondefault_options, option_label, topology_label

# ============================================================================ summary
SUMMARY_FIELDS = ["run", "group", "algorithm", "label", "problem", "topology", "n",
                  "step_size", "rounds", "steps", "seed", "success", "message"]


def summary_rows(study: Study, results: dict) -> tuple[list[str], list[dict]]:
    """One row per run and seed, in the study's order (finished runs only)."""
    rows = []
    metric_keys = []
    # run options (compression, link_failure, ...) set away from their default in some run
    option_keys = sorted({k for r in study.runs for k in nondefault_options(r.extra)})
    for r in study.runs:
        res = results.get(r.name)
        if res is None:
            continue
        h = res.history
        for k in METRICS:
            if k in h and k not in metric_keys:
                metric_keys.append(k)
        for si, s in enumerate(r.seeds):
            row = {"run": r.name, "group": r.group or "", "algorithm": r.algorithm,
                   "label": r.label, "problem": r.problem, "topology": r.topology,
                   "n": r.n, "step_size": r.step_size, "rounds": r.rounds, "steps": r.steps,
                   "seed": s, "success": res.success, "message": res.message}
            for k in option_keys:   # the value of every run (its default when unset)
                v = r.extra.get(k, OPTIONS[k].default)
                row[k] = "" if v is None else option_label(k, v)
            for k in METRICS:
                if k in h:
                    v = np.asarray(h[k][-1])
                    row[k] = float(v[si] if (r.batched and v.ndim) else v)
            row["comm_rounds"] = _rounds(res)
            row["grad_evals"] = int(np.asarray(h["grad_evals"])[-1]) if "grad_evals" in h \
                else ""
            row["wall_time"] = res.wall_time
            rows.append(row)
    header = SUMMARY_FIELDS + option_keys + metric_keys + ["comm_rounds", "grad_evals",
                                                           "wall_time"]
    return header, rows


def write_summary(study: Study, study_dir: Path, results: dict) -> Path:
    """Write ``summary.csv`` atomically."""
    header, rows = summary_rows(study, results)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n", restval="")
    w.writeheader()
    for row in rows:
        w.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in row.items()})
    path = Path(study_dir) / "summary.csv"
    atomic_write(path, buf.getvalue().encode())
    return path


def _rounds(res) -> int:
    """Communication rounds of a run: gossip rounds, or for a server method (no gossip,
    uploads counted) one round per iteration."""
    c = res.counters
    rounds = int(c.get("rounds", 0))
    if rounds == 0 and c.get("uploads", 0):
        return int(res.nit)
    return rounds


def table_rows(study: Study, results: dict):
    """Per run (seeds aggregated): label, topology, alpha, R, metric (mean over seeds),
    communication rounds, wall time, successes."""
    out = []
    for r in study.runs:
        res = results.get(r.name)
        if res is None:
            continue
        v = np.asarray(res.history.get(study.metric, [np.nan])[-1], dtype=float)
        out.append({"run": r, "result": res, "metric": float(np.mean(v)),
                    "rounds": _rounds(res), "time": res.wall_time,
                    "success": res.success})
    return out


def study_table(study: Study, results: dict, seeds_merged: bool = True) -> str:
    """The table printed after a study: one line per run configuration (seeds merged)."""
    groups: dict = {}
    for item in table_rows(study, results):
        r = item["run"]
        opts = ",".join(f"{k}={option_label(k, v)}"
                        for k, v in sorted(nondefault_options(r.extra).items()))
        key = (r.group, r.label + (f"[{opts}]" if opts else ""), r.rounds, r.step_size,
               r.topology, r.problem)
        groups.setdefault(key, []).append(item)
    rows = []
    for (g, label, R, alpha, topo, prob), items in groups.items():
        ok = sum(len(i["run"].seeds) for i in items if i["success"])
        total = sum(len(i["run"].seeds) for i in items)
        vals = [i["metric"] for i in items if i["success"]]
        val = f"{np.mean(vals):.3e}" if vals else "diverged"
        rows.append([(f"{g}/" if g else "") + label, topology_label(topo), _fmt_num(alpha),
                     R, val, items[0]["rounds"], f"{sum(i['time'] for i in items):.1f}s",
                     f"{ok}/{total}"])
    headers = ["algorithm", "topology", "alpha", "R", f"final {study.metric}", "rounds",
               "time", "ok"]
    return format_table(headers, rows, align=["<", "<", ">", ">", ">", ">", ">", ">"])


def result_table(res, seeds, batched) -> str:
    """Final metrics of one run (one column per seed, plus the mean when batched)."""
    h = res.history
    headers = ["metric"] + ([f"seed={s}" for s in seeds] if batched else ["final"])
    if batched and len(seeds) > 1:
        headers.append("mean")
    rows = []
    for k in METRICS:
        if k not in h:
            continue
        v = np.atleast_1d(np.asarray(h[k][-1], dtype=float))
        row = [k] + [fmt_short(float(x)) for x in v]
        if batched and len(seeds) > 1:
            row.append(fmt_short(float(np.mean(v))))
        rows.append(row)
    c = res.counters
    evals = int(np.asarray(h["grad_evals"])[-1]) if "grad_evals" in h else 0
    status = "finished" if res.success and res.message == "finished" else res.message
    head = (f"{'ok' if res.success else 'FAILED'}: {status}; {res.nit} iterations, "
            f"{c.get('rounds', 0)} communication rounds, {evals} gradient evaluations per "
            f"node, {res.wall_time:.2f}s")
    return head + "\n" + format_table(headers, rows)


def demo_table(s, results) -> str:
    """The table of ``decopt demo``: geometric means over seeds, consensus, budgets."""
    groups: dict = {}
    for r in s.runs:
        if r.name in results:
            groups.setdefault((r.label, r.rounds, r.step_size, r.topology), []).append(
                (r, results[r.name]))
    rows = []
    for (label, R, alpha, topo), items in groups.items():
        finals, cons = [], []
        for r, res in items:
            v = np.atleast_1d(np.asarray(res.history[s.metric][-1], dtype=float))
            finals += list(v) if res.success else [np.inf]
            c = np.atleast_1d(np.asarray(res.history["consensus"][-1], dtype=float))
            cons += list(c) if res.success else [np.inf]
        ok = sum(len(r.seeds) for r, res in items if res.success)
        total = sum(len(r.seeds) for r, _ in items)
        fin = np.asarray(finals)
        val = (f"{np.exp(np.mean(np.log(fin))):.2e}" if np.isfinite(fin).all()
               else "diverged")
        name = label if R == 1 else f"{label} (R={R})"
        cm = np.asarray(cons)
        cval = f"{np.exp(np.mean(np.log(cm))):.1e}" if np.isfinite(cm).all() and \
            (cm > 0).all() else "-"
        rows.append([name, topology_label(topo), fmt_short(alpha), val, cval,
                     items[0][1].counters.get("rounds", 0),
                     int(np.asarray(items[0][1].history["grad_evals"])[-1]),
                     f"{sum(res.wall_time for _, res in items):.1f}s",
                     f"{ok}/{total}"])
    note = (f"final values: geometric mean over seeds; consensus = (1/n) sum_i "
            f"||x_i - xbar||^2; " + (
                f"every run spends {s.steps} communication rounds (an iteration costs R "
                f"rounds per mixing call: Push-Pull and Pull-Diag-GT mix twice, FROST once)"
                if s.budget == "rounds" else f"every run does {s.steps} iterations"))
    return format_table(["algorithm", "topology", "alpha", "||grad f(xbar)||", "consensus",
                         "rounds", "grad evals", "time", "success"], rows,
                        align=["<", "<", ">", ">", ">", ">", ">", ">", ">"]) + "\n" + note

"""``decopt.load_results``: every finished run under a directory as one long, tidy table."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from .result import ID_COLUMNS

__all__ = ["load_results"]

#: Columns holding text; every other column is numeric.
TEXT_COLUMNS = ("study", "run", "algorithm", "topology", "problem")


def _run_dirs(root: Path):
    if (root / "run.json").is_file():
        yield root
        return
    for rj in sorted(root.rglob("run.json")):
        if (rj.parent / "history.csv").is_file():
            yield rj.parent


def load_results(path, *, pandas: bool | None = None):
    """One long table of the histories of every finished run under ``path``.

    Parameters
    ----------
    path : str or path
        A run directory, a study directory (``results/<study>``) or a results root
        holding several studies.
    pandas : bool or None
        Return a pandas DataFrame (None: when pandas is importable).

    Returns
    -------
    pandas.DataFrame or dict of str -> ndarray
        One row per run, logged step and seed, with the columns ``study`` (the study's
        name, or "" for a single run), ``run`` (the run directory's name), ``algorithm``,
        ``topology``, ``problem``, ``step_size``, ``gossip_rounds`` (R), ``step``,
        ``seed`` and the metrics and counters of ``history.csv`` (NaN where a run lacks
        a metric).

    Raises
    ------
    ValueError
        When ``path`` does not exist or holds no finished run.
    """
    root = Path(path)
    if not root.exists():
        raise ValueError(f"results path {str(root)!r} does not exist")
    columns: dict[str, list] = {}
    n = 0
    for d in _run_dirs(root):
        doc = json.loads((d / "run.json").read_text())
        cfg = doc.get("config", {})
        study = ((doc.get("meta") or {}).get("study") or {}).get("name") or ""
        with open(d / "history.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        defaults = {"algorithm": cfg.get("algorithm", ""), "topology": cfg.get("topology", ""),
                    "problem": cfg.get("problem", ""), "step_size": cfg.get("step_size"),
                    "gossip_rounds": cfg.get("rounds")}
        for row in rows:
            row = {"study": study, "run": d.name, **defaults, **row}
            for k in set(columns) | set(row):
                col = columns.setdefault(k, [None] * n)
                col.append(row.get(k))
            n += 1
    if n == 0:
        raise ValueError(f"no finished run (a directory with run.json and history.csv) "
                         f"under {str(root)!r}")
    order = ["study", "run", *ID_COLUMNS, "step", "seed"]
    keys = [k for k in order if k in columns] + [k for k in columns if k not in order]
    out = {}
    for k in keys:
        vals = columns[k]
        if k in TEXT_COLUMNS:
            out[k] = np.array(["" if v is None else str(v) for v in vals], dtype=object)
        else:
            out[k] = np.array([np.nan if v in (None, "", "nan") else float(v) for v in vals])
            if k in ("step", "seed", "gossip_rounds") and np.isfinite(out[k]).all():
                out[k] = out[k].astype(np.int64)
    if pandas is False:
        return out
    try:
        import pandas as pd
    except ImportError:
        if pandas:
            raise
        return out
    return pd.DataFrame(out)

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
    for rj in sorted(root.rglob("run.json")):   # (one without history.csv is corrupt:
        yield rj.parent                          # reported by _read_run, not skipped)


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
        doc, rows = _read_run(d)
        cfg = doc["config"]
        st = (doc.get("meta") or {}).get("study") or {}
        study = st.get("name") or ""
        run_name = st.get("run") or d.name     # the full name (a long one is shortened
        defaults = {"algorithm": cfg.get("algorithm", ""),     # for the directory)
                    "topology": cfg.get("topology", ""),
                    "problem": cfg.get("problem", ""), "step_size": cfg.get("step_size"),
                    "gossip_rounds": cfg.get("rounds")}
        for row in rows:
            row = {"study": study, "run": run_name, **defaults, **row}
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
            out[k] = np.array([_number(v, k) for v in vals])
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


def _read_run(d: Path):
    """``(run.json document, history rows)`` of a run directory; ValueError naming the
    file when either is unreadable or malformed."""
    rj, hc = d / "run.json", d / "history.csv"
    try:
        doc = json.loads(rj.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise ValueError(f"{rj}: corrupt run.json ({e})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("config"), dict):
        raise ValueError(f"{rj}: corrupt run.json (no 'config' table)")
    try:
        with open(hc, newline="") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise ValueError(f"{hc}: unreadable history ({e})") from None
    if not rows:
        raise ValueError(f"{hc}: empty history (no header or no logged step)")
    for i, row in enumerate(rows, start=2):
        for k, v in row.items():
            if k is None or k in TEXT_COLUMNS or v in (None, "", "nan"):
                if k is None:
                    raise ValueError(f"{hc}: line {i} has more values than the header")
                continue
            try:
                float(v)
            except ValueError:
                raise ValueError(f"{hc}: line {i}, column {k!r}: {v!r} is not a "
                                 f"number") from None
    return doc, rows


def _number(v, column):
    return np.nan if v in (None, "", "nan") else float(v)

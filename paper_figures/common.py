"""Shared machinery of the paper figures: studies -> result files -> data -> claim, figure.

A figure module (``paper_figures/<name>.py``) defines

- ``NAME``, ``TITLE``, ``REFERENCE`` (the paper and figure it regenerates) and ``CLAIM``
  (the paper's claim, one sentence);
- ``STUDY``: the name of the study in ``experiments/`` whose results it reads, or None;
- ``collect(runs) -> data``: the numbers the figure shows, from loaded result files
  (``runs`` is a list of :class:`Run`; None when ``STUDY`` is None);
- ``check(data) -> (supported, summary)``: decides the claim on those numbers, the
  deciding number in ``summary``; tests call it too;
- ``plot(data) -> matplotlib.figure.Figure``.

:func:`build` ties them together: it runs the study's missing runs through the study API
(:func:`decopt.study.run_study`, with a progress bar), loads every run from disk
(:meth:`decopt.Result.load`), and writes ``<out>/<name>.pdf``, ``.png`` and ``.txt``.
Figure modules never call :func:`decopt.run` themselves.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from decopt import Result
from decopt.result import atomic_write

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
#: Default output directory of the figures (gitignored); quick and full figures go to
#: its ``quick/`` and ``full/`` subdirectories (:func:`out_dir`).
DEFAULT_OUT = PACKAGE_DIR / "out"
#: Default results root; ``--quick`` results go to ``<results>/quick/``.
DEFAULT_RESULTS = Path("results")


def experiments_dir() -> Path:
    """``./experiments`` when run from a checkout's root, else the one beside this package."""
    here = Path.cwd() / "experiments"
    return here if here.is_dir() else REPO_DIR / "experiments"


def study_file(name: str) -> Path:
    """``experiments/<name>.toml``; ValueError naming the path when it is missing."""
    path = experiments_dir() / f"{name}.toml"
    if not path.exists():
        raise ValueError(f"study file {str(path)!r} does not exist (needed by the paper "
                         f"figures); run from the repository root")
    return path


def results_root(results=None, quick: bool = False) -> Path:
    """Where a study writes: ``<results>`` for full runs, ``<results>/quick`` for --quick
    (the study API also appends ``_quick`` to the study directory), so the two never mix."""
    root = Path(results) if results is not None else DEFAULT_RESULTS
    return root / "quick" if quick else root


# ============================================================================ runs
@dataclass
class Run:
    """One finished run of a study, read back from its result directory."""

    spec: object        # decopt.study.RunSpec
    result: Result
    path: Path

    # conveniences ----------------------------------------------------------------
    @property
    def group(self):
        return self.spec.group

    @property
    def label(self) -> str:
        return self.spec.label

    @property
    def n(self) -> int:
        return self.spec.n

    @property
    def rounds(self) -> int:
        return self.spec.rounds

    @property
    def topology(self) -> str:
        return self.spec.topology

    @property
    def template(self) -> str:
        return self.spec.topology_template

    def x(self, axis: str = "rounds") -> np.ndarray:
        """The x values (``step``, ``rounds`` or ``grad_evals``), one per logged step."""
        v = np.asarray(self.result.history[axis], dtype=float)
        return v[:, 0] if v.ndim == 2 else v

    def y(self, metric: str) -> np.ndarray:
        """Metric values, shape (seeds, logged); NaN after a divergence."""
        v = np.asarray(self.result.history[metric], dtype=float)
        return v.T if v.ndim == 2 else v[None, :]

    def topology_metrics(self, side: str = "row") -> dict:
        tm = (self.result.meta or {}).get("topology_metrics") or {}
        return tm.get(side) or {}


def load_study(name: str, quick: bool = False):
    """Parse ``experiments/<name>.toml`` (with its [quick] variant when ``quick``)."""
    from decopt import study as st
    return st.load_study(study_file(name), quick=quick)


def out_dir(out=None, quick: bool = False) -> Path:
    """``<out>/quick`` or ``<out>/full``: quick and full figures never overwrite each other."""
    return (Path(out) if out is not None else DEFAULT_OUT) / ("quick" if quick else "full")


def run_study(name: str, quick: bool = False, results=None, *, progress: bool = True,
              overwrite: bool = False, resume: bool = False, echo=print):
    """Run the runs of ``experiments/<name>.toml`` that are not finished yet.

    Returns ``(study, study_dir)``. Finished runs with the same configuration are skipped,
    so calling this on complete results only reads them.
    """
    from decopt import study as st
    s = load_study(name, quick)
    outcome = st.run_study(s, results_root(results, quick), overwrite=overwrite,
                           resume=resume, progress=progress, echo=echo, backend="local")
    return s, outcome.study_dir


def load_runs(study, study_dir) -> list[Run]:
    """Every finished run of ``study`` read from ``study_dir`` (missing ones are skipped)."""
    out = []
    for r in study.runs:
        d = Path(study_dir) / r.name
        if (d / "run.json").exists():
            out.append(Run(r, Result.load(d), d))
    return out


# ============================================================================ numbers
def plateau(y: np.ndarray, frac: float = 0.25) -> np.ndarray:
    """Mean of the last ``frac`` of each row of ``y`` (seeds, logged): a steady state."""
    y = np.atleast_2d(y)
    k = max(1, int(round(frac * y.shape[1])))
    return np.mean(y[:, -k:], axis=1)


def geo_mean_band(Y: np.ndarray):
    """Geometric mean and min/max over seeds (rows); non-positive or NaN values ignored."""
    Y = np.where(np.isfinite(Y) & (Y > 0), Y, np.nan)
    with np.errstate(all="ignore"):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.exp(np.nanmean(np.log(Y), axis=0))
            lo, hi = np.nanmin(Y, axis=0), np.nanmax(Y, axis=0)
    return mean, lo, hi


def fit_slope(x, y):
    """Least-squares slope of log(y) against log(x), and its standard error
    (:func:`decopt.fitting.fit_slope`)."""
    from decopt.fitting import fit_slope as fit
    return fit(x, y, stderr=True)


def verdict(ok: bool) -> str:
    return "SUPPORTED" if ok else "NOT SUPPORTED"


def fmt(v) -> str:
    """A number for reports: 4 significant digits."""
    if v is None:
        return "-"
    if isinstance(v, float) and math.isinf(v):
        return "diverged" if v > 0 else "-inf"
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    return f"{v:.4g}"


# ============================================================================ output
def save_figure(fig, out: Path, name: str) -> list[Path]:
    """Write ``<out>/<name>.pdf`` (vector) and ``.png`` atomically, in the paper style
    (tight bounding box: nothing clipped)."""
    import io

    from .style import style
    paths = []
    for ext in ("pdf", "png"):
        path = Path(out) / f"{name}.{ext}"
        path.parent.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        with style():
            fig.savefig(buf, format=ext, dpi=300 if ext == "png" else None,
                        bbox_inches="tight", pad_inches=0.02)
        atomic_write(path, buf.getvalue())
        paths.append(path)
    return paths


def report_text(module, supported: bool, summary: str, quick: bool, source: str,
                details: str = "") -> str:
    """The text report of a figure."""
    lines = [f"{module.NAME}: {module.TITLE}",
             f"reference: {module.REFERENCE}",
             f"mode: {'quick' if quick else 'full'}; data: {source}",
             f"claim: {module.CLAIM}",
             f"result: {summary} -> {verdict(supported)}"]
    if details:
        lines += ["", details.rstrip()]
    return "\n".join(lines) + "\n"


@dataclass
class Built:
    """What :func:`build` produced for one figure."""

    name: str
    supported: bool
    summary: str
    files: list
    report: str
    data: dict
    seconds: float


def build(module, *, quick: bool = False, results=None, out=None, progress: bool = True,
          overwrite: bool = False, resume: bool = False, echo=print) -> Built:
    """Produce one figure: results (running what is missing; ``resume`` continues
    interrupted runs from their checkpoints), claim check, files in :func:`out_dir`."""
    from .style import finish, style
    t0 = time.time()
    out = out_dir(out, quick)
    if module.STUDY is not None:
        study, study_dir = run_study(module.STUDY, quick, results, progress=progress,
                                     overwrite=overwrite, resume=resume, echo=echo)
        runs = load_runs(study, study_dir)
        if not runs:
            raise ValueError(f"study {module.STUDY!r} has no finished runs in {study_dir}")
        source = f"{study_dir} ({len(runs)} runs)"
    else:
        runs = None
        source = getattr(module, "SOURCE", "computed from topologies.describe (no study)")
    data = module.collect(runs) if runs is not None else module.collect(None, quick=quick)
    data["quick"] = quick
    supported, summary = module.check(data)
    with style():
        fig = finish(module.plot(data), quick)
    data["_figure"] = fig
    files = save_figure(fig, out, module.NAME)
    details = module.details(data) if hasattr(module, "details") else ""
    text = report_text(module, supported, summary, quick, source, details)
    path = out / f"{module.NAME}.txt"
    atomic_write(path, text.encode())
    files.append(path)
    return Built(module.NAME, supported, summary, files, text, data, time.time() - t0)

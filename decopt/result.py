"""The result of a run, in memory and on disk.

On disk a run is a directory with

- ``history.csv``: tidy history, one row per logged step (and per seed for batched runs);
- ``run.json``: everything needed to reproduce the run (config, seeds, versions, git
  revision, backend, ranks, topology metrics), plus the outcome; written last, so a
  directory without it is not a finished run;
- ``final.npz``: the final iterates.

Every file is written to a temporary name in the same directory and renamed into place,
so a run killed at any moment leaves either the old file or the complete new one.
"""

from __future__ import annotations

import csv
import io
import json
import os
import platform
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .formatting import json_default

#: History columns shared by all seeds of a batched run (one value per logged step).
SHARED_COLUMNS = ("step", "rounds", "messages", "floats", "uploads", "downloads", "bits",
                  "grad_evals", "time")
INTEGER_COLUMNS = ("step", "rounds", "messages", "floats", "uploads", "downloads", "bits",
                   "grad_evals")
#: Columns of history.csv naming the run (from its config), so that the histories of a
#: study concatenate into one tidy table; ``gossip_rounds`` is the run's R (the column
#: ``rounds`` counts communication rounds so far).
ID_COLUMNS = ("algorithm", "topology", "problem", "step_size", "gossip_rounds")


@dataclass
class Result:
    """Outcome of :func:`decopt.run`.

    Attributes
    ----------
    x : ndarray or None
        Final iterates, (n, d), or (runs, n, d) for batched seeds. Under MPI, on rank 0
        only (None elsewhere).
    history : dict of str -> ndarray
        Metrics per logged step: ``step``, ``grad_norm`` (||grad f(xbar)|| at the
        uniform average), ``grad_norm_pi`` (at the pi-weighted centroid), ``consensus``
        ((1/n) sum_i ||x_i - xbar||^2), ``loss`` (f(xbar)), ``dist`` (||xbar - x*||)
        and ``err_max`` (max_i ||x_i - x*||) when x* is known, ``rounds``,
        ``messages``, ``floats``, ``uploads``, ``downloads``, ``bits``, ``grad_evals``
        (stochastic gradient samples per node), ``loss_var``, ``loss_max``,
        ``loss_worst10`` (spread of the local losses f_i(xbar))
        and ``time`` (seconds). Batched runs give metric arrays of shape (logged, runs).
    counters : dict
        Final communication counters (rounds, messages, floats, bits).
    success : bool
        False when the run diverged or failed.
    message : str
    nit : int
        Iterations done.
    wall_time : float
        Seconds.
    config : dict
        The arguments of the run, enough to repeat it.
    """

    x: np.ndarray | None
    history: dict
    counters: dict
    success: bool
    message: str
    nit: int
    wall_time: float
    config: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    @property
    def seeds(self) -> list:
        s = self.config.get("seed", 0)
        return list(s) if isinstance(s, (list, tuple)) else [s]

    def final(self, metric: str):
        """Last logged value of a metric."""
        return self.history[metric][-1]

    def __repr__(self) -> str:
        g = self.history.get("grad_norm")
        last = "" if g is None or not len(g) else (
            f", grad_norm={_sci(g[-1])}")
        return (f"Result(success={self.success}, nit={self.nit}, message={self.message!r}"
                f"{last}, wall_time={self.wall_time:.3g}s)")

    # ------------------------------------------------------------- disk
    def history_rows(self) -> tuple[list[str], list[list]]:
        """Tidy rows: one per logged step and seed, each naming its run (algorithm,
        topology, problem, step size, gossip rounds R, seed)."""
        h = self.history
        keys = [k for k in h if k != "step"]
        seeds = self.seeds
        batched = isinstance(self.config.get("seed", 0), (list, tuple))
        cfg = self.config
        ident = [cfg.get("algorithm", ""), cfg.get("topology", ""), cfg.get("problem", ""),
                 cfg.get("step_size", ""), cfg.get("rounds", "")]
        header = list(ID_COLUMNS) + ["step", "seed"] + keys
        rows = []
        for t, step in enumerate(h["step"]):
            for s, seed in enumerate(seeds):
                row = ident + [int(step), seed]
                for k in keys:
                    v = np.asarray(h[k][t])
                    row.append(v.item() if v.ndim == 0 else (v[s].item() if batched else v.item()))
                rows.append(row)
        return header, rows

    def save(self, path, extra_meta: dict | None = None) -> Path:
        """Write the run directory (atomic per file, ``run.json`` last)."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        header, rows = self.history_rows()
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([_fmt(v) for v in r])
        atomic_write(path / "history.csv", buf.getvalue().encode())
        bio = io.BytesIO()
        np.savez(bio, x=self.x if self.x is not None else np.zeros(0))
        atomic_write(path / "final.npz", bio.getvalue())
        doc = {
            "config": self.config,
            "success": self.success,
            "message": self.message,
            "nit": self.nit,
            "wall_time": self.wall_time,
            "counters": self.counters,
            "meta": {**environment(), **self.meta, **(extra_meta or {})},
        }
        atomic_write(path / "run.json", (json.dumps(doc, indent=2, default=json_default)
                                         + "\n").encode())
        return path

    @classmethod
    def load(cls, path) -> "Result":
        """Read a run directory written by :meth:`save`."""
        path = Path(path)
        run_json = path / "run.json"
        if not run_json.exists():
            raise ValueError(f"{path} is not a finished run directory (no run.json)")
        try:
            doc = json.loads(run_json.read_text())
        except (OSError, UnicodeDecodeError, ValueError) as e:
            raise ValueError(f"{run_json}: corrupt run.json ({e})") from None
        missing = [k for k in ("config", "counters", "success", "message", "nit",
                               "wall_time", "meta") if not isinstance(doc, dict) or k not in doc]
        if missing or not isinstance(doc["config"], dict):
            raise ValueError(f"{run_json}: corrupt run.json (missing "
                             f"{', '.join(missing) or 'config table'})")
        hc = path / "history.csv"
        try:
            with open(hc, newline="") as f:
                reader = csv.reader(f)
                header = next(reader, None)
                if not header:
                    raise ValueError(f"{hc}: empty history (no header)")
                skip = [j for j, k in enumerate(header) if k in ID_COLUMNS]
                data = []
                for i, r in enumerate(reader, start=2):
                    try:
                        data.append([float(v) if v not in ("", "nan") else np.nan
                                     for j, v in enumerate(r) if j not in skip])
                    except ValueError as e:
                        raise ValueError(f"{hc}: line {i}: {e}") from None
        except (OSError, UnicodeDecodeError, csv.Error) as e:
            raise ValueError(f"{hc}: unreadable history ({e})") from None
        header = [k for k in header if k not in ID_COLUMNS]
        if not data or any(len(r) != len(header) for r in data):
            raise ValueError(f"{hc}: corrupt history (no rows, or rows whose length "
                             f"differs from the header's {len(header)})")
        arr = np.array(data, dtype=float).reshape(-1, len(header))
        seeds = doc["config"].get("seed", 0)
        batched = isinstance(seeds, list)
        S = len(seeds) if batched else 1
        if S == 0 or arr.shape[0] % S:
            raise ValueError(f"{hc}: corrupt history ({arr.shape[0]} rows for {S} seed(s))")
        hist = {}
        for j, k in enumerate(header):
            if k == "seed":
                continue
            col = arr[:, j].reshape(-1, S)
            if k in INTEGER_COLUMNS:
                hist[k] = col[:, 0].astype(np.int64)
            elif k in SHARED_COLUMNS or not batched:
                hist[k] = col[:, 0]
            else:
                hist[k] = col
        fz = path / "final.npz"
        try:
            with np.load(fz) as z:
                x = z["x"]
        except Exception as e:   # BadZipFile, EOFError, KeyError, OSError, ValueError
            raise ValueError(f"{fz}: corrupt or missing final iterate "
                             f"({type(e).__name__}: {e})") from None
        return cls(x=x if x.size else None, history=hist, counters=doc["counters"],
                   success=doc["success"], message=doc["message"], nit=doc["nit"],
                   wall_time=doc["wall_time"], config=doc["config"], meta=doc["meta"])


def _sci(v) -> str:
    """A number or array in scientific notation with 2 significant digits (1.3e-04)."""
    a = np.asarray(v, dtype=float)
    if a.ndim == 0:
        return f"{float(a):.2g}" if a == 0 or not np.isfinite(a) else f"{float(a):.1e}"
    return np.array2string(a, formatter={"float_kind": lambda x: f"{x:.1e}"}, separator=", ")


def _fmt(v):
    if isinstance(v, float):
        return repr(v)
    return str(v)


def atomic_write(path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private (0600); give it the mode open() would, so
        # results stay readable by whoever may read the directory
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0o22)
    os.umask(mask)
    return mask


_ENV_CACHE: dict | None = None


def environment() -> dict:
    """Package and dependency versions and the git revision (cached)."""
    global _ENV_CACHE
    if _ENV_CACHE is None:
        import matplotlib
        import networkx
        import scipy

        from ._version import __version__
        env = {"decopt": __version__, "python": platform.python_version(),
               "numpy": np.__version__, "scipy": scipy.__version__,
               "networkx": networkx.__version__, "matplotlib": matplotlib.__version__,
               "platform": platform.platform()}
        try:
            import mpi4py
            env["mpi4py"] = mpi4py.__version__
        except ImportError:
            pass
        try:
            rev = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                                 cwd=Path(__file__).resolve().parent, timeout=5)
            env["git_revision"] = rev.stdout.strip() if rev.returncode == 0 else None
        except (OSError, subprocess.SubprocessError):
            env["git_revision"] = None
        _ENV_CACHE = env
    return dict(_ENV_CACHE)

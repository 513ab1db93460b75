"""Data loading: a LIBSVM-format reader and the small data sets bundled with decopt.

Bundled files (in ``decopt/data/``, generated once from scikit-learn's own bundled copies
by :func:`write_bundled_data`, so the defaults work without scikit-learn):

- ``breast_cancer.libsvm.gz``: the Wisconsin Diagnostic Breast Cancer set (569 samples,
  30 real features; label -1 = malignant, +1 = benign), gzip-compressed LIBSVM text.
  This is scikit-learn's ``load_breast_cancer`` (UCI "WDBC"), not the 10-feature
  "breast-cancer" file on the LIBSVM site.
- ``digits.npz``: scikit-learn's ``load_digits`` (1797 8x8 images with pixel values
  0..16, ten classes), stored with the keys ``x_train`` (uint8, (1797, 8, 8)) and
  ``y_train`` (uint8, (1797,)) of keras' ``mnist.npz``, so one reader serves both.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

__all__ = ["load_libsvm", "load_breast_cancer", "load_image_npz", "bundled_path",
           "write_bundled_data"]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

#: Largest |value| a LIBSVM file may hold: standardising squares the values, and
#: 1e150**2 * (samples) stays far below the float64 maximum (1.8e308).
MAX_ABS_VALUE = 1e150
#: Largest dense matrix (samples x features) a LIBSVM file may describe, in float64
#: values (2**28 values = 2 GiB); checked from the largest index before allocating.
MAX_DENSE_VALUES = 2**28
BUNDLED = {"breast_cancer": "breast_cancer.libsvm.gz", "digits": "digits.npz"}


def bundled_path(name):
    """Path of a bundled data file (``"breast_cancer"`` or ``"digits"``); may not exist."""
    return DATA_DIR / BUNDLED[name]


def _open_text(path):
    path = os.fspath(path)
    if path.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def load_libsvm(path, n_features=None):
    """Read a LIBSVM / SVMlight text file into a dense matrix and ±1 labels.

    Each non-blank line is ``label idx:val idx:val ...`` with 1-based feature indices;
    absent features are 0. Anything after ``#`` is a comment, and ``qid:...`` tokens are
    ignored. A path ending in ``.gz`` is read through gzip.

    Parameters
    ----------
    path : str or path-like
        The file.
    n_features : int, optional
        Number of columns ``d``; default: the largest index present. Useful to read a
        test file with the same width as its training file.

    Returns
    -------
    X : ndarray of float64, shape (N, d)
    y : ndarray of float64, shape (N,), values in {-1, +1}
        Binary labels are mapped to ±1: {0, 1} -> 0 becomes -1; {-1, +1} unchanged;
        {1, 2} -> 1 becomes -1 and 2 becomes +1.

    Raises
    ------
    ValueError
        On a malformed line (the message gives the line number and the token), a 0 or
        negative or repeated index, a non-finite value or one beyond
        :data:`MAX_ABS_VALUE`, an index beyond ``n_features``, a size beyond
        :data:`MAX_DENSE_VALUES` (refused before allocating), bytes that are not UTF-8,
        an empty file, or labels that are not one of the binary sets above.
    """
    path = os.fspath(path)
    try:
        return _read_libsvm(path, n_features)
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: byte {e.start} is not UTF-8 text ({e.reason}); expected "
                         f"a LIBSVM text file (plain or .gz)") from None
    except (gzip.BadGzipFile, EOFError) as e:
        raise ValueError(f"{path}: not a readable gzip file ({e}); expected a LIBSVM text "
                         f"file, gzip-compressed when its name ends in .gz") from None


def _read_libsvm(path, n_features):
    if n_features is not None:
        from ..validation import check_int
        check_int("n_features", n_features, 1)
    labels, rows, cols, vals = [], [], [], []
    max_index, max_line = 0, None
    with _open_text(path) as fh:
        for lineno, line in enumerate(fh, start=1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            tokens = line.split()
            try:
                label = float(tokens[0])
            except ValueError:
                raise ValueError(
                    f"{path}, line {lineno}: label {tokens[0]!r} is not a number; expected "
                    "'label idx:val idx:val ...'") from None
            if not np.isfinite(label):
                raise ValueError(f"{path}, line {lineno}: label {tokens[0]!r} is not finite")
            row = len(labels)
            labels.append(label)
            seen = set()
            for tok in tokens[1:]:
                key, sep, val = tok.partition(":")
                if key == "qid":
                    continue
                try:
                    if not sep:
                        raise ValueError
                    j = int(key)
                    v = float(val)
                except ValueError:
                    raise ValueError(
                        f"{path}, line {lineno}: malformed token {tok!r}; expected "
                        "'idx:val' with an integer idx >= 1 and a real val") from None
                if j < 1:
                    raise ValueError(
                        f"{path}, line {lineno}: feature index {j} in {tok!r}; expected an "
                        "index >= 1 (LIBSVM indices are 1-based)")
                if j in seen:
                    raise ValueError(
                        f"{path}, line {lineno}: feature index {j} appears twice; expected "
                        "each index at most once per line")
                if not np.isfinite(v):
                    raise ValueError(
                        f"{path}, line {lineno}: value {val!r} of feature {j} is not finite")
                if abs(v) > MAX_ABS_VALUE:
                    raise ValueError(
                        f"{path}, line {lineno}: value {val!r} of feature {j} is too large; "
                        f"expected |value| <= {MAX_ABS_VALUE:g} (standardising squares the "
                        f"values, which would overflow float64)")
                if n_features is not None and j > n_features:
                    raise ValueError(
                        f"{path}, line {lineno}: feature index {j} exceeds "
                        f"n_features = {n_features}")
                if j > max_index:
                    max_index, max_line = j, lineno
                seen.add(j)
                rows.append(row)
                cols.append(j - 1)
                vals.append(v)
    if not labels:
        raise ValueError(f"{path}: no data lines; expected 'label idx:val ...' lines")
    d = n_features if n_features is not None else (max(cols) + 1 if cols else 0)
    if d < 1:
        raise ValueError(f"{path}: no features found; expected at least one 'idx:val' token")
    if len(labels) * d > MAX_DENSE_VALUES:
        where = f" (feature index {max_index} on line {max_line})" if n_features is None else ""
        raise ValueError(
            f"{path}: {len(labels)} samples x {d} features{where} is too large for a dense "
            f"matrix; expected at most {MAX_DENSE_VALUES} values (check the feature "
            f"indices, or give n_features)")
    X = np.zeros((len(labels), d))
    X[np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp)] = vals
    return X, _binary_labels(np.asarray(labels), str(path))


def _binary_labels(y, source):
    found = set(np.unique(y).tolist())
    if found <= {-1.0, 1.0}:
        return y.astype(np.float64)
    if found <= {0.0, 1.0}:
        return np.where(y == 1.0, 1.0, -1.0)
    if found <= {1.0, 2.0}:
        return np.where(y == 2.0, 1.0, -1.0)
    shown = sorted(found)[:10]
    raise ValueError(
        f"{source}: labels {shown}{' ...' if len(found) > 10 else ''} are not binary; "
        "expected labels in {0, 1}, {-1, +1} or {1, 2}")


def _sklearn_missing(what):
    return ImportError(
        f"the bundled file for {what!r} is missing and scikit-learn is not installed; "
        "run `pip install scikit-learn` (or `pip install decopt[data]`), or pass a path to "
        "a data file instead")


def load_breast_cancer():
    """Wisconsin Diagnostic Breast Cancer: ``X`` (569, 30) float64, ``y`` in {-1, +1}.

    Read from the bundled LIBSVM file; falls back to scikit-learn if the file is absent.
    Label -1 = malignant, +1 = benign.
    """
    path = bundled_path("breast_cancer")
    if path.exists():
        return load_libsvm(path, n_features=30)
    try:
        from sklearn.datasets import load_breast_cancer as sk_load
    except ImportError:
        raise _sklearn_missing("breast_cancer") from None
    ds = sk_load()
    return np.asarray(ds.data, dtype=np.float64), np.where(ds.target == 1, 1.0, -1.0)


def load_image_npz(path):
    """Read an image-classification .npz with keys ``x_train`` and ``y_train``.

    The layout of keras' ``mnist.npz``. Images are flattened to rows and divided by the
    largest absolute value in the file (so pixels lie in [0, 1]); labels are mapped to
    ``0..C-1`` in sorted order.

    Returns
    -------
    X : ndarray of float64, shape (N, p)
    y : ndarray of int64, shape (N,), values 0..C-1
    classes : int
        Number of classes ``C``.
    """
    path = os.fspath(path)
    with np.load(path, allow_pickle=False) as npz:
        missing = [k for k in ("x_train", "y_train") if k not in npz.files]
        if missing:
            raise ValueError(
                f"{path} has keys {sorted(npz.files)}; expected 'x_train' and 'y_train' "
                "(the layout of keras' mnist.npz)")
        X = np.asarray(npz["x_train"])
        y = np.asarray(npz["y_train"])
    if X.ndim < 2 or X.shape[0] != y.reshape(-1).shape[0]:
        raise ValueError(
            f"{path}: x_train has shape {X.shape} and y_train {y.shape}; expected the same "
            "number of samples in both")
    X = X.reshape(X.shape[0], -1).astype(np.float64)
    from .base import check_finite_data
    check_finite_data(f"{path}: x_train", X)
    scale = np.abs(X).max() if X.size else 0.0
    if scale > 0:
        X /= scale
    classes, y = np.unique(y.reshape(-1), return_inverse=True)
    return X, y.astype(np.int64), int(classes.size)


def load_digits():
    """scikit-learn's 8x8 digits: ``X`` (1797, 64) in [0, 1], ``y`` (1797,) in 0..9, 10."""
    path = bundled_path("digits")
    if path.exists():
        return load_image_npz(path)
    try:
        from sklearn.datasets import load_digits as sk_load
    except ImportError:
        raise _sklearn_missing("digits") from None
    ds = sk_load()
    return np.asarray(ds.data, dtype=np.float64) / 16.0, ds.target.astype(np.int64), 10


def write_bundled_data(directory=None):
    """Regenerate the bundled data files from scikit-learn (a maintainer tool).

    Writes ``breast_cancer.libsvm.gz`` and ``digits.npz`` into ``directory`` (default:
    the package's ``decopt/data``). Needs scikit-learn. The output is deterministic
    (gzip header without file name or time stamp).
    """
    from sklearn.datasets import load_breast_cancer as sk_bc
    from sklearn.datasets import load_digits as sk_digits

    directory = Path(directory) if directory is not None else DATA_DIR
    directory.mkdir(parents=True, exist_ok=True)
    bc = sk_bc()
    lines = []
    for x, t in zip(bc.data, bc.target):
        feats = " ".join(f"{j + 1}:{v:.10g}" for j, v in enumerate(x) if v != 0)
        lines.append(("+1" if t == 1 else "-1") + " " + feats)
    text = ("\n".join(lines) + "\n").encode()
    with open(directory / BUNDLED["breast_cancer"], "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            gz.write(text)
    dg = sk_digits()
    np.savez_compressed(directory / BUNDLED["digits"],
                        x_train=dg.images.astype(np.uint8), y_train=dg.target.astype(np.uint8))

"""The one least-squares slope fit used by the theory checks, verification, plotting and
the paper figures."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["fit_slope", "column_slopes", "geometric_rate"]


def fit_slope(x, y, *, log_x: bool = True, stderr: bool = False):
    """Least-squares slope of log(y) against log(x) (against x when ``log_x=False``).

    Parameters
    ----------
    x, y : array_like
        Points (y > 0; x > 0 when ``log_x``).
    log_x : bool
        Fit against log(x) (a power law) or x (a geometric rate).
    stderr : bool
        Also return the slope's standard error (nan with fewer than 3 points).

    Returns
    -------
    float, or (float, float) with ``stderr``
    """
    lx = np.asarray(x, float)
    lx = np.log(lx) if log_x else lx
    ly = np.log(np.asarray(y, float))
    xc = lx - lx.mean()
    slope = float(xc @ (ly - ly.mean()) / (xc @ xc))
    if not stderr:
        return slope
    if len(lx) <= 2:
        return slope, float("nan")
    resid = ly - ly.mean() - slope * xc
    return slope, math.sqrt(resid @ resid / (len(lx) - 2) / (xc @ xc))


def column_slopes(x, Y) -> np.ndarray:
    """Slopes of log Y[:, s] against log x, one per column (Y: (points, columns))."""
    lx = np.log(np.asarray(x, float))
    lY = np.log(np.asarray(Y, float))
    lxc = lx - lx.mean()
    return (lxc @ (lY - lY.mean(axis=0))) / (lxc @ lxc)


def geometric_rate(k, log_err) -> float:
    """Geometric rate rho of errors e_k ~ C rho^k, from their logarithms ``log_err``."""
    k = np.asarray(k, float)
    le = np.asarray(log_err, float)
    kc = k - k.mean()
    return float(np.exp(kc @ (le - le.mean()) / (kc @ kc)))

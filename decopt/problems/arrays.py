"""Problems built from the user's own data: one feature array and one target array per node.

Sample counts may differ across nodes. The data are stored padded to the largest count
with per-sample weights ``1/m_i`` (0 on the padding), so full local gradients and losses
are exact means over each node's own samples and every kernel is one batched product.
"""

from __future__ import annotations

import numbers

import numpy as np

from .base import Problem, block_rows, check_real
from .logistic import LogisticProblem

__all__ = ["from_arrays", "LeastSquaresProblem", "KINDS"]

#: kind -> (options with their defaults)
KINDS = {"logistic": {"rho": 0.01}, "least_squares": {"ridge": 0.0}}


class LeastSquaresProblem(Problem):
    """Least squares ``f_i(x) = (1/(2 m_i)) ||F_i x - t_i||^2 + (ridge/2) ||x||^2``.

    Built by :func:`from_arrays` with ``kind="least_squares"``. ``F_i`` (m_i, d) and
    ``t_i`` (m_i,) are node i's features and targets.

    Attributes
    ----------
    features : ndarray of shape (n, s_max, d)
        ``F_i`` padded with zero rows beyond ``m_i``.
    targets : ndarray of shape (n, s_max)
        ``t_i`` padded with zeros.
    ridge : float
        Weight of the ridge term (>= 0).
    x_star : ndarray of shape (d,)
        The minimiser of ``f``: the solution of the normal equations
        ``(H + ridge I) x = (1/n) sum_i F_i^T t_i / m_i`` with
        ``H = (1/n) sum_i F_i^T F_i / m_i`` (the minimum-norm minimiser if that matrix is
        singular).
    L : float
        ``max_i lambda_max(F_i^T F_i) / m_i + ridge``, the largest smoothness constant of
        the ``f_i``.
    mu : float
        ``lambda_min(H) + ridge``, the strong-convexity constant of ``f`` (0 when ``f`` is
        merely convex).
    """

    def __init__(self, features, targets, ridge, params):
        self.name = "from_arrays"
        self.params = params
        self.ridge = float(ridge)
        self.n = len(features)
        self.dim = int(features[0].shape[1])
        counts = np.array([f.shape[0] for f in features], dtype=np.int64)
        smax = int(counts.max())
        F = np.zeros((self.n, smax, self.dim))
        t = np.zeros((self.n, smax))
        w = np.zeros((self.n, smax))
        for i, (f, ti) in enumerate(zip(features, targets)):
            F[i, :counts[i]] = f
            t[i, :counts[i]] = ti
            w[i, :counts[i]] = 1.0 / counts[i]
        self.features, self.targets, self._w = F, t, w
        self.samples_per_node = counts
        gram = np.swapaxes(F, 1, 2) @ F                        # (n, d, d) F_i^T F_i
        local_h = gram / counts[:, None, None]
        self.L = float(np.linalg.eigvalsh(local_h)[:, -1].max() + self.ridge)
        self.mu = float(max(np.linalg.eigvalsh(local_h.mean(axis=0))[0], 0.0) + self.ridge)
        self.x_star = self.weighted_minimizer(np.ones(self.n))

    def data_arrays(self):
        return {"features": self.features, "targets": self.targets,
                "samples_per_node": self.samples_per_node}

    def kernel_losses(self, nodes, X):
        F, t, w = (block_rows(a, nodes) for a in (self.features, self.targets, self._w))
        r = (F @ X[..., None])[..., 0] - t                      # (..., m, s)
        return 0.5 * (w * r * r).sum(axis=-1) + 0.5 * self.ridge * (X * X).sum(axis=-1)

    def kernel_grads(self, nodes, X):
        F, t, w = (block_rows(a, nodes) for a in (self.features, self.targets, self._w))
        r = w * ((F @ X[..., None])[..., 0] - t)                # (..., m, s)
        return (np.swapaxes(F, -1, -2) @ r[..., None])[..., 0] + self.ridge * X

    def kernel_sample_grads(self, nodes, X, idx):
        G = self.features[nodes[:, None], idx]                  # (..., m, b, d)
        r = (G @ X[..., None])[..., 0] - self.targets[nodes[:, None], idx]
        g = (np.swapaxes(G, -1, -2) @ r[..., None])[..., 0] / idx.shape[-1]
        return g + self.ridge * X

    def weighted_minimizer(self, weights):
        """``argmin_x sum_i w_i f_i(x)`` from the normal equations (minimum norm if the
        system is singular).

        Parameters
        ----------
        weights : array of shape (n,)
            Non-negative, with a positive sum (they need not sum to 1).
        """
        w = self._as_weights(weights)
        w = w / w.sum()
        wl = self._w * w[:, None]                               # (n, s)
        H = np.einsum("is,isj,isk->jk", wl, self.features, self.features)
        H += self.ridge * np.eye(self.dim)
        rhs = np.einsum("is,isj,is->j", wl, self.features, self.targets)
        return np.linalg.lstsq(H, rhs, rcond=None)[0]


def _node_array(what, i, a, ndim):
    """Node i's array as float64 with ``ndim`` dimensions, or TypeError/ValueError."""
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{what}[{i}] (node {i}) is a {type(a).__name__} that cannot be "
                        f"converted to a float array; expected numbers") from None
    shape = "(m_i, d)" if ndim == 2 else "(m_i,)"
    if arr.ndim != ndim:
        raise ValueError(f"{what}[{i}] (node {i}) has shape {arr.shape}, expected a "
                         f"{ndim}-D array of shape {shape}")
    if arr.shape[0] < 1:
        raise ValueError(f"{what}[{i}] (node {i}) has no samples (shape {arr.shape}); "
                         f"expected at least one sample per node")
    bad = ~np.isfinite(arr)
    if bad.any():
        pos = tuple(int(k) for k in np.argwhere(bad)[0])
        raise ValueError(f"{what}[{i}] (node {i}) contains {int(bad.sum())} non-finite "
                         f"value(s), first {float(arr[pos])!r} at index {pos}; expected "
                         f"finite data")
    return arr


def _per_node(what, seq):
    if isinstance(seq, (str, bytes)) or not hasattr(seq, "__len__") or \
            not hasattr(seq, "__getitem__"):
        raise TypeError(f"{what} must be a list with one array per node, got "
                        f"{type(seq).__name__}")
    if len(seq) < 1:
        raise ValueError(f"{what} is empty; expected one array per node (at least one node)")
    return [seq[i] for i in range(len(seq))]


def _labels(targets):
    """Map logistic labels to {-1, +1}: labels in {-1, +1} are kept; labels all in
    {0, 1} (over every node) are mapped 0 -> -1."""
    values = np.unique(np.concatenate(targets))
    if np.isin(values, (-1.0, 1.0)).all():
        return targets
    if np.isin(values, (0.0, 1.0)).all():
        return [2.0 * t - 1.0 for t in targets]
    for i, t in enumerate(targets):
        bad = ~np.isin(t, (-1.0, 1.0, 0.0))
        if bad.any():
            k = int(np.argmax(bad))
            raise ValueError(f"targets[{i}] (node {i}) has label {float(t[k])!r} at index {k}; "
                             f"logistic labels must be in {{-1, +1}} (or all in {{0, 1}}, "
                             f"mapped 0 -> -1)")
    raise ValueError("logistic labels mix the conventions {-1, +1} and {0, 1} (the data "
                     "contain -1, 0 and 1); expected labels all in {-1, +1} or all in {0, 1}")


def from_arrays(kind, features, targets, **options):
    """A problem on the user's own data, one feature array and one target array per node.

    Parameters
    ----------
    kind : {"logistic", "least_squares"}
        ``"logistic"``: the nonconvex logistic regression of :func:`logistic`,
        ``f_i(x) = (1/m_i) sum_l log(1 + exp(-y_l h_l^T x)) + rho sum_j x_j^2/(1+x_j^2)``.
        ``"least_squares"``:
        ``f_i(x) = (1/(2 m_i)) ||F_i x - t_i||^2 + (ridge/2) ||x||^2``, with closed-form
        ``x_star``, ``L`` and ``mu``.
    features : list of array_like, one of shape (m_i, d) per node
        Node i's samples (rows). Every node needs ``m_i >= 1`` samples and the same
        ``d``; the counts ``m_i`` may differ.
    targets : list of array_like, one of shape (m_i,) per node
        Logistic: labels in {-1, +1}; labels all in {0, 1} are accepted and mapped
        0 -> -1. Least squares: real targets.
    **options
        ``rho`` (logistic, default 0.01, >= 0): weight of the nonconvex regulariser;
        ``ridge`` (least squares, default 0.0, >= 0).

    Returns
    -------
    Problem
        A :class:`~decopt.problems.logistic.LogisticProblem` or a
        :class:`LeastSquaresProblem` named ``"from_arrays"``, with ``samples_per_node``
        the counts ``m_i`` (so ``decopt.run(..., batch_size=b)`` samples minibatches of
        ``b`` points with replacement from each node's own data) and ``params``
        recording ``kind``, the options, ``dim`` and the counts. The data themselves are
        not in ``params`` (the checksum covers them), so such a problem cannot be
        rebuilt by name with :func:`make`; build it in the script (under MPI on every
        rank, from the same data).

    Raises
    ------
    TypeError
        If ``features`` / ``targets`` are not sequences of arrays, an array is not
        numeric, or an option is not a number.
    ValueError
        On an unknown ``kind`` or option, different numbers of nodes in ``features``
        and ``targets``, a node with no samples, a wrong shape (the message names the
        node and the expected shape), non-finite values, or logistic labels outside
        {-1, +1} / {0, 1}.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> F = [rng.standard_normal((m, 3)) for m in (5, 17, 40)]
    >>> t = [f @ np.ones(3) for f in F]
    >>> prob = from_arrays("least_squares", F, t)
    >>> prob.samples_per_node.tolist(), bool(np.allclose(prob.x_star, 1.0))
    ([5, 17, 40], True)
    """
    if not isinstance(kind, str) or kind not in KINDS:
        raise ValueError(f"kind = {kind!r}, expected one of {sorted(KINDS)}")
    defaults = KINDS[kind]
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise ValueError(f"unknown option(s) {unknown} for kind {kind!r}; expected some of "
                         f"{sorted(defaults)}")
    opts = dict(defaults, **options)
    for key, value in opts.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{key} = {value!r}, expected a finite real number >= 0")
        opts[key] = check_real(key, value, minimum=0.0)

    feats = _per_node("features", features)
    targs = _per_node("targets", targets)
    if len(feats) != len(targs):
        raise ValueError(f"features has {len(feats)} arrays (one per node) but targets has "
                         f"{len(targs)}; expected the same number of nodes")
    feats = [_node_array("features", i, f, 2) for i, f in enumerate(feats)]
    d = feats[0].shape[1]
    if d < 1:
        raise ValueError(f"features[0] (node 0) has shape {feats[0].shape}, expected at "
                         f"least one feature column")
    for i, f in enumerate(feats):
        if f.shape[1] != d:
            raise ValueError(f"features[{i}] (node {i}) has shape {f.shape}, expected "
                             f"({f.shape[0]}, {d}): every node needs the d = {d} features "
                             f"of node 0")
    targs = [_node_array("targets", i, t, 1) for i, t in enumerate(targs)]
    for i, (f, t) in enumerate(zip(feats, targs)):
        if t.shape[0] != f.shape[0]:
            raise ValueError(f"targets[{i}] (node {i}) has shape {t.shape}, expected "
                             f"({f.shape[0]},) to match the {f.shape[0]} rows of "
                             f"features[{i}]")

    counts = [int(f.shape[0]) for f in feats]
    params = dict(kind=kind, **opts, dim=int(d), samples_per_node=counts)
    if kind == "logistic":
        return LogisticProblem("from_arrays", feats, _labels(targs), opts["rho"], params)
    return LeastSquaresProblem(feats, targs, opts["ridge"], params)

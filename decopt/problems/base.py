"""Base class and input validation shared by every decopt problem.

A problem is the finite-sum objective of [LCLY25]_ / [LLY25]_ section 1,

.. math::  \\min_{x \\in \\mathbb{R}^d} f(x) = \\frac{1}{n} \\sum_{i=1}^{n} f_i(x),

where node ``i`` holds ``f_i``. Subclasses implement two vectorised kernels,
``_local_losses(nodes, X)`` and ``_grads(nodes, X)`` over validated inputs, plus
``_sample_grads`` for problems with sample structure; everything else (single-node
wrappers, the global objective, validation, checksums) lives here.

References
----------
.. [LCLY25] L. Liang, X. Chen, G. Luo, K. Yuan, "Achieving Linear Speedup and
   Near-Optimal Complexity for Decentralized Optimization over Row-stochastic Networks",
   ICML 2025, arXiv:2506.04600.
.. [LLY25] L. Liang, G. Luo, K. Yuan, "On the Linear Speedup of the Push-Pull Method for
   Decentralized Optimization over Digraphs", arXiv:2506.18075.
"""

from __future__ import annotations

import hashlib
import json
import numbers

import numpy as np

__all__ = ["Problem", "NonFiniteError"]


class NonFiniteError(ValueError):
    """An iterate passed to a problem contains NaN or inf.

    A subclass of ValueError, so callers that only expect ValueError still work; a runner
    can catch this class specifically to report a diverged run.
    """


# ----------------------------------------------------------------------------------------
# validation helpers (also used by the problem modules)
# ----------------------------------------------------------------------------------------

def _show(value):
    """repr of a value, with numpy scalars shown as plain Python numbers."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def check_int(name, value, minimum=1):
    """Return ``value`` as a Python int >= ``minimum``, or raise ValueError naming it.

    Integral floats (``16.0``, as produced by some config formats) are accepted.
    """
    if isinstance(value, bool):
        raise ValueError(f"{name} = {_show(value)}, expected an integer >= {minimum}")
    if isinstance(value, numbers.Integral):
        v = int(value)
    elif isinstance(value, numbers.Real) and np.isfinite(value) and float(value).is_integer():
        v = int(value)
    else:
        raise ValueError(f"{name} = {_show(value)}, expected an integer >= {minimum}")
    if v < minimum:
        raise ValueError(f"{name} = {v}, expected an integer >= {minimum}")
    return v


def check_real(name, value, minimum=None, strict=False):
    """Return ``value`` as a finite Python float (>= or > ``minimum``) or raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} = {_show(value)}, expected a finite real number")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name} = {v!r}, expected a finite real number")
    if minimum is not None:
        if strict and not v > minimum:
            raise ValueError(f"{name} = {v!r}, expected a number > {minimum}")
        if not strict and not v >= minimum:
            raise ValueError(f"{name} = {v!r}, expected a number >= {minimum}")
    return v


def check_seed(seed):
    """Return ``seed`` as a non-negative Python int (problems are rebuilt from params)."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(
            f"seed = {_show(seed)}, expected a non-negative int (a problem must be rebuildable "
            "from its JSON params, so a numpy Generator is not accepted here)")
    return int(seed)


def check_finite_data(name, array):
    """Raise ValueError if a data array contains NaN or inf."""
    bad = ~np.isfinite(array)
    if bad.any():
        where = tuple(int(k) for k in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} contains {int(bad.sum())} non-finite value(s) (first at index {where}); "
            "expected finite data")


def block_rows(arr, nodes):
    """``arr[nodes]`` without a copy when ``nodes`` is a contiguous ascending range."""
    m = nodes.shape[0]
    if m and nodes[-1] - nodes[0] == m - 1 and (m == 1 or (np.diff(nodes) == 1).all()):
        return arr[nodes[0]:nodes[0] + m]
    return arr[nodes]


def _check_finite_x(name, X):
    if not np.isfinite(X).all():
        nbad = int(np.size(X) - np.count_nonzero(np.isfinite(X)))
        raise NonFiniteError(
            f"{name} contains NaN or inf ({nbad} of {X.size} entries); expected finite "
            "values (has the iteration diverged?)")


# ----------------------------------------------------------------------------------------
# the base class
# ----------------------------------------------------------------------------------------

class Problem:
    """A decentralised finite-sum problem ``f(x) = (1/n) sum_i f_i(x)`` over ``n`` nodes.

    Attributes
    ----------
    name : str
        Registry name (``"quadratic"``, ``"logistic"``, ``"logistic_data"``, ``"mlp"``).
    n : int
        Number of nodes.
    dim : int
        Dimension ``d`` of the decision variable.
    L : float
        Smoothness constant of every ``f_i`` (or an upper bound / estimate; see the
        subclass), for step-size rules.
    mu : float or None
        Strong-convexity constant of ``f`` when known (quadratic), else None.
    x_star : ndarray of shape (d,) or None
        Minimiser of ``f`` when known in closed form, else None.
    samples_per_node : ndarray of int, shape (n,), or None
        Local sample counts (for minibatching); None when there is no sample structure.
    params : dict
        JSON-able constructor keyword arguments: ``make(name, **params)`` rebuilds the
        identical problem.

    Notes
    -----
    Array conventions. ``X`` may carry leading batch axes (independent runs): ``grads``
    and ``sample_grads`` take ``X`` of shape ``(..., m, d)`` for ``m`` nodes and return the
    same shape; ``loss`` and ``full_grad`` take ``x`` of shape ``(..., d)``. Every input is
    converted to float64 and validated: wrong shapes, NaN or inf raise ValueError (NaN or
    inf in an iterate raises :class:`NonFiniteError`, a ValueError subclass).

    Hot-loop kernels. ``_grads(nodes, X)``, ``_sample_grads(nodes, X, idx)`` and
    ``_local_losses(nodes, X)`` are the same computations without validation (``nodes``
    an intp array from ``_as_nodes``, ``X`` float64 of shape (..., m, d), ``idx`` in range
    with leading axes broadcasting to X's). ``decopt.oracle`` calls them every iteration
    on inputs that are valid by construction; they never raise on NaN/inf, which simply
    propagate.
    """

    name: str = "problem"
    n: int
    dim: int
    L: float
    mu: float | None = None
    x_star: np.ndarray | None = None
    samples_per_node: np.ndarray | None = None
    params: dict

    # -- subclass kernels (inputs already validated) -------------------------------------
    def _local_losses(self, nodes, X):  # pragma: no cover - abstract
        """Local losses of ``nodes`` (m,) at ``X`` (..., m, d) -> (..., m)."""
        raise NotImplementedError

    def _grads(self, nodes, X):  # pragma: no cover - abstract
        """Full local gradients of ``nodes`` (m,) at ``X`` (..., m, d) -> (..., m, d)."""
        raise NotImplementedError

    def _sample_grads(self, nodes, X, idx):  # pragma: no cover - abstract
        """Minibatch gradients; ``idx`` (..., m, b) broadcast against ``X[..., 0]``."""
        raise NotImplementedError

    def _loss_and_grads(self, xs, k):
        """``f`` at the first ``k`` points of ``xs`` (P, d) and ``grad f`` at all P (the
        metrics of a logged step); subclasses may fuse the two into one data pass."""
        return self.loss(xs[:k]), self.full_grad(xs)

    def _data_arrays(self):
        """Name -> array of every data array defining the problem (for the checksum)."""
        return {}

    # -- validation -----------------------------------------------------------------------
    def _as_point(self, x, name="x"):
        """x (d,) exactly -> float64 array."""
        x = np.asarray(x, dtype=np.float64)
        if x.shape != (self.dim,):
            raise ValueError(f"{name} has shape {x.shape}, expected ({self.dim},)")
        _check_finite_x(name, x)
        return x

    def _as_points(self, x, name="x"):
        """x (..., d) -> float64 array."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim < 1 or x.shape[-1] != self.dim:
            raise ValueError(f"{name} has shape {x.shape}, expected (..., {self.dim})")
        _check_finite_x(name, x)
        return x

    def _as_node(self, i):
        if isinstance(i, bool) or not isinstance(i, numbers.Integral):
            raise ValueError(f"node index i = {_show(i)}, expected an int in [0, {self.n})")
        if not 0 <= i < self.n:
            raise ValueError(f"node index i = {i}, expected an int in [0, {self.n})")
        return int(i)

    def _as_nodes(self, nodes):
        nodes = np.asarray(nodes)
        if nodes.ndim != 1:
            raise ValueError(f"nodes has shape {nodes.shape}, expected a 1-D int array (m,)")
        if nodes.size and not np.issubdtype(nodes.dtype, np.integer):
            raise ValueError(f"nodes has dtype {nodes.dtype}, expected an integer array")
        nodes = nodes.astype(np.intp, copy=False)
        if nodes.size and (nodes.min() < 0 or nodes.max() >= self.n):
            bad = nodes[(nodes < 0) | (nodes >= self.n)][0]
            raise ValueError(f"nodes contains {int(bad)}, expected node ids in [0, {self.n})")
        return nodes

    def _as_stacked(self, nodes, X, name="X"):
        X = np.asarray(X, dtype=np.float64)
        m = nodes.shape[0]
        if X.ndim < 2 or X.shape[-2:] != (m, self.dim):
            raise ValueError(
                f"{name} has shape {X.shape}, expected (..., {m}, {self.dim}) for {m} nodes")
        _check_finite_x(name, X)
        return X

    def _as_weights(self, weights):
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (self.n,):
            raise ValueError(f"weights has shape {w.shape}, expected ({self.n},)")
        check_finite_data("weights", w)
        if (w < 0).any():
            raise ValueError(
                f"weights contains {float(w[w < 0][0])!r}, expected non-negative weights")
        if not w.sum() > 0:
            raise ValueError("weights sum to 0, expected a positive sum")
        return w

    # -- public interface -----------------------------------------------------------------
    def grad(self, i, x):
        """Full local gradient ``grad f_i(x)`` of node ``i`` at ``x`` (d,) -> (d,)."""
        i = self._as_node(i)
        x = self._as_point(x)
        return self._grads(np.array([i], dtype=np.intp), x[None, :])[0]

    def local_loss(self, i, x):
        """Local objective ``f_i(x)`` of node ``i`` at ``x`` (d,) -> float."""
        i = self._as_node(i)
        x = self._as_point(x)
        return float(self._local_losses(np.array([i], dtype=np.intp), x[None, :])[0])

    def local_losses(self, nodes, X):
        """Local objectives ``f_{nodes[j]}(X[..., j, :])``: X (..., m, d) -> (..., m)."""
        nodes = self._as_nodes(nodes)
        X = self._as_stacked(nodes, X)
        return self._local_losses(nodes, X)

    def _all_at(self, x):
        return np.broadcast_to(x[..., None, :], x.shape[:-1] + (self.n, self.dim))

    def loss(self, x):
        """Global objective ``f(x) = (1/n) sum_i f_i(x)``.

        ``x`` of shape (d,) gives a float; (..., d) gives an array of shape (...).
        """
        x = self._as_points(x)
        val = self._local_losses(np.arange(self.n), self._all_at(x)).mean(axis=-1)
        return float(val) if x.ndim == 1 else val

    def full_grad(self, x):
        """Gradient of the global objective ``grad f(x)``: x (..., d) -> (..., d)."""
        x = self._as_points(x)
        return self._grads(np.arange(self.n), self._all_at(x)).mean(axis=-2)

    def grads(self, nodes, X):
        """Full local gradients of the given nodes at their own iterates.

        Parameters
        ----------
        nodes : int array of shape (m,)
            Global node ids.
        X : array of shape (..., m, d)
            ``X[..., j, :]`` is node ``nodes[j]``'s iterate; leading axes are batch axes.

        Returns
        -------
        ndarray of shape (..., m, d)
            ``out[..., j, :] = grad f_{nodes[j]}(X[..., j, :])``.
        """
        nodes = self._as_nodes(nodes)
        X = self._as_stacked(nodes, X)
        return self._grads(nodes, X)

    def sample_grads(self, nodes, X, idx):
        """Minibatch gradients: the average over the sampled local data points.

        Parameters
        ----------
        nodes : int array of shape (m,)
            Global node ids.
        X : array of shape (..., m, d)
            Iterates.
        idx : int array of shape (..., m, b)
            ``idx[..., j, :]`` indexes node ``nodes[j]``'s local samples,
            ``0 <= idx < samples_per_node[nodes[j]]``; its leading axes broadcast against
            those of ``X``. Repeated indices count repeatedly (sampling with replacement).

        Returns
        -------
        ndarray of shape (..., m, d)
            ``out[..., j, :] = (1/b) sum_k grad F(X[..., j, :]; xi_{idx[..., j, k]})``
            including the node's regulariser. With ``idx[..., j, :]`` a permutation of
            all local samples this equals :meth:`grads`.
        """
        if self.samples_per_node is None:
            raise ValueError(
                f"{self.name} has no samples; use noise=... for stochastic gradients")
        nodes = self._as_nodes(nodes)
        X = self._as_stacked(nodes, X)
        idx = np.asarray(idx)
        m = nodes.shape[0]
        if idx.ndim < 2 or idx.shape[-2] != m:
            raise ValueError(f"idx has shape {idx.shape}, expected (..., {m}, b) for {m} nodes")
        if idx.shape[-1] < 1:
            raise ValueError(f"idx has shape {idx.shape}, expected a batch size b >= 1")
        if not np.issubdtype(idx.dtype, np.integer):
            raise ValueError(f"idx has dtype {idx.dtype}, expected an integer array")
        try:
            ok = np.broadcast_shapes(idx.shape[:-2], X.shape[:-2]) == X.shape[:-2]
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(
                f"idx has shape {idx.shape}, expected leading axes that broadcast to those "
                f"of X {X.shape}, i.e. (..., {m}, b)")
        counts = self.samples_per_node[nodes][:, None]
        bad = (idx < 0) | (idx >= counts)
        if bad.any():
            pos = tuple(int(k) for k in np.argwhere(bad)[0])
            j = pos[-2]
            raise ValueError(
                f"idx{list(pos)} = {int(idx[pos])}, expected 0 <= idx < "
                f"{int(counts[j, 0])} (the sample count of node {int(nodes[j])})")
        return self._sample_grads(nodes, X, idx.astype(np.intp, copy=False))

    def weighted_minimizer(self, weights):
        """``argmin_x sum_i weights_i f_i(x)`` when available in closed form, else None.

        Useful as the target of a biased method (e.g. gradient tracking over a
        row-stochastic matrix without diagonal correction converges to the minimiser of
        ``sum_i pi_i f_i``).
        """
        self._as_weights(weights)
        return None

    def initial_point(self, seed=0):
        """A starting point ``x0`` (d,); zeros unless the subclass overrides it."""
        return np.zeros(self.dim)

    def checksum(self):
        """SHA-256 hex digest of the problem name, params and every data array.

        Identical on every MPI rank that built the same problem; ranks compare it to catch
        differing data files or package versions.
        """
        cached = getattr(self, "_checksum", None)
        if cached is not None:
            return cached
        h = hashlib.sha256()
        h.update(self.name.encode())
        h.update(json.dumps(self.params, sort_keys=True).encode())
        for key, arr in sorted(self._data_arrays().items()):
            arr = np.ascontiguousarray(arr)
            h.update(f"|{key}|{arr.dtype.str}|{arr.shape}|".encode())
            h.update(arr.tobytes())
        self._checksum = h.hexdigest()
        return self._checksum

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.name}({args})"

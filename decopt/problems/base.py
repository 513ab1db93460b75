"""Base class and input validation shared by every decopt problem.

A problem is the finite-sum objective of [LCLY25]_ / [LLY25]_ section 1,

.. math::  \\min_{x \\in \\mathbb{R}^d} f(x) = \\frac{1}{n} \\sum_{i=1}^{n} f_i(x),

where node ``i`` holds ``f_i``. Subclasses implement two vectorised kernels,
``kernel_losses(nodes, X)`` and ``kernel_grads(nodes, X)`` over validated inputs, plus
``kernel_sample_grads`` for problems with sample structure; everything else
(single-node wrappers, the global objective, validation, checksums) lives here. The
kernels are also reachable under their historical private names ``_local_losses``,
``_grads``, ``_sample_grads`` (what :mod:`decopt.oracle` calls): a subclass may define
either name and the base class maps it to the other.

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

from ..validation import check_int as _check_int

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
    """Return ``value`` as a Python int >= ``minimum``: TypeError naming it unless it is an
    int (bool and floats are not), ValueError when it is smaller (the package-wide rule
    of :func:`decopt.validation.check_int`)."""
    return _check_int(name, value, minimum)


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
    if isinstance(seed, np.random.Generator):
        raise TypeError(
            f"seed = {_show(seed)}, expected a non-negative int (a problem must be "
            "rebuildable from its JSON params, so a numpy Generator is not accepted here)")
    _check_int("seed", seed, 0)
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

#: Public kernel name -> the private name :mod:`decopt.oracle` calls (kept in sync by
#: :meth:`Problem.__init_subclass__`).
KERNELS = {"kernel_losses": "_local_losses", "kernel_grads": "_grads",
           "kernel_sample_grads": "_sample_grads", "data_arrays": "_data_arrays"}


class Problem:
    """A decentralised finite-sum problem ``f(x) = (1/n) sum_i f_i(x)`` over ``n`` nodes.

    Attributes
    ----------
    name : str
        Registry name (``"quadratic"``, ``"logistic"``, ``"logistic_data"``, ``"mlp"``,
        ``"from_arrays"``) or any name a subclass chooses.
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
        identical problem (for the registered names).

    Notes
    -----
    **Array conventions.** ``X`` may carry leading batch axes (independent runs):
    ``grads`` and ``sample_grads`` take ``X`` of shape ``(..., m, d)`` for ``m`` nodes
    and return the same shape; ``loss`` and ``full_grad`` take ``x`` of shape
    ``(..., d)``. Every input is converted to float64 and validated: wrong shapes, NaN
    or inf raise ValueError (NaN or inf in an iterate raises :class:`NonFiniteError`, a
    ValueError subclass).

    **Subclass contract.** A user problem subclasses :class:`Problem`, sets the
    attributes ``name``, ``n``, ``dim``, ``L``, ``x_star`` (or None), ``samples_per_node``
    (None, or an int array of shape (n,) with every entry >= 1) and ``params`` (a
    JSON-able dict; it enters the checksum), and implements the kernels below. They are
    called with valid inputs only (``nodes`` an intp array of distinct global node ids
    of shape (m,), ``X`` float64 of shape ``(m, d)`` or ``(runs, m, d)``), so they do no
    validation and never raise on NaN/inf, which simply propagate:

    ``kernel_grads(nodes, X)`` -> ``(..., m, d)``
        Full local gradients: ``out[..., j, :] = grad f_{nodes[j]}(X[..., j, :])``.
        Required.
    ``kernel_losses(nodes, X)`` -> ``(..., m)``
        Local objectives ``f_{nodes[j]}(X[..., j, :])``. Required for ``loss`` and the
        ``loss`` metric of a run.
    ``kernel_sample_grads(nodes, X, idx)`` -> ``(..., m, d)``
        Minibatch gradients, only for problems with ``samples_per_node``: ``idx`` is an
        intp array of shape ``(..., m, b)`` (leading axes broadcasting against those of
        ``X``) with ``0 <= idx[..., j, :] < samples_per_node[nodes[j]]``; the result is
        the mean over the ``b`` sampled points of the per-sample gradients (repeated
        indices count repeatedly). Sample counts may differ across nodes.
    ``data_arrays()`` -> dict of str to ndarray
        Optional: the arrays defining the problem, hashed by :meth:`checksum` (the
        default hashes only ``name`` and ``params``). MPI ranks compare checksums, so
        include every array that could differ between ranks.

    ``decopt.oracle`` calls the kernels under the private names ``_grads``,
    ``_sample_grads`` and ``_local_losses`` (and ``checksum`` calls ``_data_arrays``);
    defining either the public or the private name of a kernel in a subclass defines
    both. The validated public methods (``grad``, ``grads``, ``sample_grads``,
    ``local_loss``, ``local_losses``, ``loss``, ``full_grad``, ``checksum``) come from
    this base class; override ``loss`` / ``full_grad`` only for speed.
    """

    name: str = "problem"
    n: int
    dim: int
    L: float
    mu: float | None = None
    x_star: np.ndarray | None = None
    samples_per_node: np.ndarray | None = None
    params: dict

    def __init_subclass__(cls, **kwargs):
        """Map each kernel a subclass defines to its other name (public <-> private)."""
        super().__init_subclass__(**kwargs)
        for public, private in KERNELS.items():
            if public in cls.__dict__ and private not in cls.__dict__:
                setattr(cls, private, cls.__dict__[public])
            elif private in cls.__dict__ and public not in cls.__dict__:
                setattr(cls, public, cls.__dict__[private])

    # -- subclass kernels (inputs already validated) -------------------------------------
    def kernel_losses(self, nodes, X):  # pragma: no cover - abstract
        """Local losses of ``nodes`` (m,) at ``X`` (..., m, d) -> (..., m); no validation."""
        raise NotImplementedError(f"{type(self).__name__} does not implement kernel_losses")

    def kernel_grads(self, nodes, X):  # pragma: no cover - abstract
        """Full local gradients of ``nodes`` (m,) at ``X`` (..., m, d) -> (..., m, d)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement kernel_grads")

    def kernel_sample_grads(self, nodes, X, idx):  # pragma: no cover - abstract
        """Minibatch gradients; ``idx`` (..., m, b) broadcast against ``X[..., 0]``."""
        raise NotImplementedError(
            f"{type(self).__name__} does not implement kernel_sample_grads")

    def _loss_and_grads(self, xs, k):
        """``f`` at the first ``k`` points of ``xs`` (P, d) and ``grad f`` at all P (the
        metrics of a logged step); subclasses may fuse the two into one data pass."""
        return self.loss(xs[:k]), self.full_grad(xs)

    def data_arrays(self):
        """Name -> array of every data array defining the problem (for the checksum)."""
        return {}

    _local_losses = kernel_losses
    _grads = kernel_grads
    _sample_grads = kernel_sample_grads
    _data_arrays = data_arrays

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

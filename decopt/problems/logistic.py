"""Nonconvex logistic regression of [LCLY25] / [LLY25], on synthetic or real data."""

from __future__ import annotations

import os

import numpy as np
from scipy.special import expit

from .base import Problem, block_rows, check_finite_data, check_int, check_real, check_seed
from .data import load_breast_cancer, load_libsvm

__all__ = ["LogisticProblem", "logistic", "logistic_data"]



def _reg_value(rho, X):
    X2 = X * X
    return rho * (X2 / (1.0 + X2)).sum(axis=-1)


def _reg_grad(rho, X):
    return rho * 2.0 * X / (1.0 + X * X) ** 2


class LogisticProblem(Problem):
    """Logistic loss plus the nonconvex regulariser ``rho sum_j x_j^2 / (1 + x_j^2)``.

    ``f_i(x) = (1/m_i) sum_l log(1 + exp(-y_l h_l^T x)) + rho sum_j x_j^2/(1 + x_j^2)``.
    Built by :func:`logistic` or :func:`logistic_data`.

    Node data are stored padded as ``signed_features`` of shape (n, s_max, d) with rows
    ``y_l h_l`` (zero rows beyond node i's ``m_i`` samples) and per-sample weights
    ``1/m_i`` (0 on padding), so every kernel is one batched matrix product over nodes,
    equal sample counts or not.
    """

    def __init__(self, name, features, labels, rho, params):
        """``features``/``labels``: lists (one per node) of (m_i, d) arrays / (m_i,) ±1."""
        self.name = name
        self.params = params
        self.rho = float(rho)
        self.n = len(features)
        self.dim = int(features[0].shape[1])
        counts = np.array([f.shape[0] for f in features], dtype=np.int64)
        smax = int(counts.max())
        A = np.zeros((self.n, smax, self.dim))
        y = np.zeros((self.n, smax))
        w = np.zeros((self.n, smax))
        for i, (f, lab) in enumerate(zip(features, labels)):
            A[i, :counts[i]] = lab[:, None] * f
            y[i, :counts[i]] = lab
            w[i, :counts[i]] = 1.0 / counts[i]
        self.signed_features = A
        self.labels = y
        self._w = w
        self.samples_per_node = counts
        gram_max = np.linalg.eigvalsh(np.swapaxes(A, 1, 2) @ A)[:, -1]
        self.L = float((gram_max / (4.0 * counts)).max() + 2.0 * self.rho)
        self.x_star = None

    @property
    def features(self):
        """Unsigned features ``h_l`` padded to (n, s_max, d) (zeros beyond ``m_i``)."""
        return self.signed_features * self.labels[..., None]

    def _data_arrays(self):
        return {"signed_features": self.signed_features, "labels": self.labels,
                "samples_per_node": self.samples_per_node}

    def _margins(self, A, X):
        # z[..., j, l] = y_l h_l^T x_j for node j's samples l
        return (A @ X[..., None])[..., 0]

    # -- the global objective at common points: one BLAS product over all samples -------
    _CHUNK = 65536  # samples per block: bounds the (samples, points) temporaries

    def _global_sums(self, x, kernel):
        """sum over every sample l of node i of (1/m_i) kernel(z_l), z_l = y_l h_l^T x,
        for points x (P, d); blocks of samples keep the temporaries small."""
        F = self.signed_features.reshape(-1, self.dim)          # (n * s_max, d), a view
        w = self._w.reshape(-1)
        acc = None
        for start in range(0, F.shape[0], self._CHUNK):
            Fb, wb = F[start:start + self._CHUNK], w[start:start + self._CHUNK]
            part = kernel(Fb, wb[:, None], Fb @ x.T)            # z block (chunk, P)
            acc = part if acc is None else acc + part
        return acc

    def loss(self, x):
        """``f(x) = (1/n) sum_i f_i(x)``: x (d,) -> float, (..., d) -> (...)."""
        x = self._as_points(x)
        xs = x.reshape(-1, self.dim)
        val = self._global_sums(xs, lambda F, w, z: (w * np.logaddexp(0.0, -z)).sum(0))
        val = val / self.n + _reg_value(self.rho, xs)
        return float(val[0]) if x.ndim == 1 else val.reshape(x.shape[:-1])

    def full_grad(self, x):
        """``grad f(x)``: x (..., d) -> (..., d)."""
        x = self._as_points(x)
        xs = x.reshape(-1, self.dim)
        g = self._global_sums(xs, lambda F, w, z: F.T @ (w * expit(-z)))   # (d, P)
        g = -g.T / self.n + _reg_grad(self.rho, xs)
        return g.reshape(x.shape)

    def _loss_and_grads(self, xs, k):
        """``f`` at the first ``k`` points of ``xs`` (P, d) and ``grad f`` at all of them,
        in one pass over the data: the margins ``z = a_l^T x`` and ``e = exp(min(z, 700))``
        are computed once, ``sigmoid(-z) = 1 / (1 + e)`` and
        ``log(1 + e^{-z}) = log1p(e) - min(z, 700)`` (exact to rounding in absolute terms;
        the clip only avoids overflow, where both are below 1e-300)."""
        def kernel(F, w, z):
            zc = np.minimum(z, 700.0)
            e = np.exp(zc)
            loss = np.log1p(e[:, :k])
            loss -= zc[:, :k]
            e += 1.0
            np.divide(w, e, out=e)                                # w * sigmoid(-z)
            return np.concatenate([w[:, 0] @ loss, (F.T @ e).reshape(-1)])
        acc = self._global_sums(xs, kernel)
        loss = acc[:k] / self.n + _reg_value(self.rho, xs[:k])
        g = -acc[k:].reshape(self.dim, -1).T / self.n + _reg_grad(self.rho, xs)
        return loss, g

    def _local_losses(self, nodes, X):
        A = block_rows(self.signed_features, nodes)
        w = block_rows(self._w, nodes)
        z = self._margins(A, X)
        return (w * np.logaddexp(0.0, -z)).sum(axis=-1) + _reg_value(self.rho, X)

    def _grads(self, nodes, X):
        A = block_rows(self.signed_features, nodes)
        w = block_rows(self._w, nodes)
        s = w * expit(-self._margins(A, X))                     # (..., m, s)
        g = -(np.swapaxes(A, -1, -2) @ s[..., None])[..., 0]    # (..., m, d)
        return g + _reg_grad(self.rho, X)

    #: Minibatches of at least this fraction of the local samples use the counting
    #: kernel (measured crossover in benchmarks/bench_sampling.py).
    _COUNT_FRACTION = 0.25

    def _sample_grads(self, nodes, X, idx):
        """Minibatch gradients ``(1/b) sum_l grad loss(z_{idx_l})`` + regulariser.

        Two exact kernels: a large minibatch (``b >= _COUNT_FRACTION * s_max``, runs
        axis present) is reduced to per-sample counts and a weighted product over the
        node's data (:meth:`_counted_sample_grads`), which never materialises the
        sampled rows; a small one gathers them (:meth:`_gathered_sample_grads`). Both
        give the same numbers up to rounding (tests/problems/test_sampling_kernels.py).
        """
        if X.ndim == 3 and idx.shape[:-1] == X.shape[:-1] and \
                idx.shape[-1] >= self._COUNT_FRACTION * self.signed_features.shape[1]:
            g = self._counted_sample_grads(nodes, X, idx)
        else:
            g = self._gathered_sample_grads(nodes, X, idx)
        return g + _reg_grad(self.rho, X)

    def _gathered_sample_grads(self, nodes, X, idx):
        """Loss part of the minibatch gradient by gathering the sampled rows."""
        s_max, d = self.signed_features.shape[1:]
        flat = (idx + (nodes * s_max)[:, None]).reshape(-1)
        G = np.take(self.signed_features.reshape(-1, d), flat, axis=0)
        G = G.reshape(idx.shape + (d,))                             # (..., m, b, d)
        z = np.matmul(G, X[..., None])                              # (..., m, b, 1)
        with np.errstate(over="ignore"):
            s = 1.0 / (1.0 + np.exp(z))                             # sigmoid(-z)
        return np.matmul(np.swapaxes(s, -1, -2), G)[..., 0, :] / (-idx.shape[-1])

    def _counted_sample_grads(self, nodes, X, idx):
        """Loss part of the minibatch gradient from sample counts: with c_l the number
        of times sample l was drawn, ``-(1/b) sum_l c_l sigmoid(-z_l) a_l`` is two
        batched products over all local samples, ``Z = x^T A_i^T`` and ``(c * s) A_i``
        per node, for all runs at once. X (runs, m, d), idx (runs, m, b).

        Layout (m, runs, s_max): the counts of one (node, run) pair fill one contiguous
        row of s_max bins, so ``bincount`` writes into a window of s_max entries at a
        time (cache-local), and both products are plain batched matrix products over
        nodes (1.3x faster than the (m, s_max, runs) layout at n = 512, 20 runs, b = 200,
        s_max = 400; BENCHMARKS.md)."""
        S, m, b = idx.shape
        A = block_rows(self.signed_features, nodes)                 # (m, s_max, d)
        s_max = A.shape[1]
        row = (np.arange(m) * S + np.arange(S)[:, None]) * s_max    # (S, m): row (i, run)
        counts = np.bincount((idx + row[..., None]).reshape(-1), minlength=m * S * s_max)
        Z = np.matmul(X.transpose(1, 0, 2), A.transpose(0, 2, 1))  # (m, S, s_max)
        with np.errstate(over="ignore"):
            np.exp(Z, out=Z)
        Z += 1.0
        np.divide(counts.reshape(m, S, s_max), Z, out=Z)            # c * sigmoid(-z)
        g = np.matmul(Z, A)                                         # (m, S, d)
        return g.transpose(1, 0, 2) / (-b)


def logistic(n=16, dim=10, samples_per_node=200, heterogeneity=0.0, rho=0.01, seed=0):
    """Synthetic nonconvex logistic regression, the test problem of [LCLY25]_, [LLY25]_.

    .. math::

        f_i(x) = \\frac{1}{m} \\sum_{l=1}^{m} \\log(1 + \\exp(-y_{i,l} h_{i,l}^T x))
                 + \\rho \\sum_{j=1}^{d} \\frac{x_j^2}{1 + x_j^2}.

    Data model (arXiv:2506.04600, arXiv:2506.18075; see the theory page, docs/theory.rst,
    section "Problems of the papers"): ``x_opt ~ N(0, I_d)``; features
    ``h ~ N(0, I_d)``; label ``y = +1`` with probability ``sigmoid(h^T x_opt_i)``, else
    ``-1``. Homogeneous (``heterogeneity = 0``): ``x_opt_i = x_opt`` for every node, i.e.
    one global sample set of ``n * samples_per_node`` points cut into ``n`` equal
    consecutive blocks. Heterogeneous (``heterogeneity = s > 0``): node ``i`` labels its
    samples with ``x_opt_i = x_opt + s u_i``, ``u_i ~ N(0, I_d)`` (the papers use
    ``s`` in {0.1, 1, 10}).

    Parameters
    ----------
    n : int, default 16
        Number of nodes (>= 1).
    dim : int, default 10
        Dimension ``d`` (>= 1).
    samples_per_node : int, default 200
        Local sample count ``m`` (>= 1), equal on every node.
    heterogeneity : float, default 0.0
        ``s >= 0`` above.
    rho : float, default 0.01
        Weight ``>= 0`` of the nonconvex regulariser.
    seed : int, default 0
        Seed of ``np.random.default_rng``; draws, in order, ``x_opt`` (d,), the ``u_i``
        (n, d) (always drawn, so changing ``heterogeneity`` changes only the labels), the
        features (n, m, d) and the uniforms (n, m) deciding the labels.

    Returns
    -------
    LogisticProblem
        ``L = max_i lambda_max(H_i^T H_i) / (4 m) + 2 rho`` (the logistic loss has
        curvature <= 1/4 and the regulariser's second derivative lies in
        ``[-rho/2, 2 rho]``); ``x_star = None``; ``samples_per_node`` is ``m`` for every
        node; attributes ``x_opt`` (d,) and ``node_x_opt`` (n, d) record the generating
        parameters.

    References
    ----------
    .. [LCLY25] L. Liang, X. Chen, G. Luo, K. Yuan, "Achieving Linear Speedup and
       Near-Optimal Complexity for Decentralized Optimization over Row-stochastic
       Networks", ICML 2025, arXiv:2506.04600.
    .. [LLY25] L. Liang, G. Luo, K. Yuan, "On the Linear Speedup of the Push-Pull Method
       for Decentralized Optimization over Digraphs", arXiv:2506.18075.
    """
    n = check_int("n", n)
    dim = check_int("dim", dim)
    m = check_int("samples_per_node", samples_per_node)
    heterogeneity = check_real("heterogeneity", heterogeneity, minimum=0.0)
    rho = check_real("rho", rho, minimum=0.0)
    seed = check_seed(seed)
    params = dict(n=n, dim=dim, samples_per_node=m, heterogeneity=heterogeneity, rho=rho,
                  seed=seed)

    rng = np.random.default_rng(seed)
    x_opt = rng.standard_normal(dim)
    u = rng.standard_normal((n, dim))
    H = rng.standard_normal((n, m, dim))
    coin = rng.random((n, m))
    node_x_opt = x_opt + heterogeneity * u
    p = expit(np.einsum("nmd,nd->nm", H, node_x_opt))
    y = np.where(coin < p, 1.0, -1.0)

    prob = LogisticProblem("logistic", list(H), list(y), rho, params)
    prob.x_opt = x_opt
    prob.node_x_opt = node_x_opt
    return prob



def _split_sizes(N, n):
    base, extra = divmod(N, n)
    return np.array([base + 1] * extra + [base] * (n - extra), dtype=np.int64)


def logistic_data(n=16, data="breast_cancer", rho=0.01, split="homogeneous",
                  standardize=True, seed=0):
    """The nonconvex logistic regression of :func:`logistic` on a real binary data set.

    ``f_i(x) = (1/m_i) sum_{l in S_i} log(1 + exp(-y_l h_l^T x)) + rho sum_j x_j^2/(1+x_j^2)``
    where the ``S_i`` partition the data set's samples.

    Parameters
    ----------
    n : int, default 16
        Number of nodes (>= 1, at most the number of samples).
    data : str, default "breast_cancer"
        ``"breast_cancer"``: the Wisconsin Diagnostic Breast Cancer set (569 samples, 30
        features) bundled with decopt as a LIBSVM file (falls back to scikit-learn if the
        file is missing). Anything else is read as the path of a LIBSVM-format file (see
        :func:`load_libsvm`; binary labels). The path is stored as given in ``params``,
        so under MPI every rank must see the file at the same path; the checksum covers
        the data, so differing copies are detected.
    rho : float, default 0.01
        Weight ``>= 0`` of the nonconvex regulariser.
    split : {"homogeneous", "sorted"}, default "homogeneous"
        ``"homogeneous"``: samples shuffled, then cut into ``n`` consecutive blocks.
        ``"sorted"``: samples shuffled, then stably sorted by label (-1 first) and cut
        into ``n`` consecutive blocks, so most nodes see a single class (label
        heterogeneity). Either way, all ``N`` samples are used: the first ``N mod n``
        nodes get ``floor(N/n) + 1`` samples, the others ``floor(N/n)`` (no sample is
        dropped; counts differ by at most one).
    standardize : bool, default True
        Centre every feature and scale it to unit variance over the whole data set before
        splitting (constant features are only centred). No intercept feature is added.
    seed : int, default 0
        Seed of ``np.random.default_rng``, used for the one shuffle.

    Returns
    -------
    LogisticProblem
        ``L = max_i lambda_max(H_i^T H_i) / (4 m_i) + 2 rho``; ``x_star = None``.

    Raises
    ------
    ImportError
        If the bundled file is missing and scikit-learn is not installed.
    ValueError
        On an unknown ``data`` name or missing file, malformed LIBSVM input, non-finite
        data, non-binary labels, ``n`` larger than the number of samples, or an unknown
        ``split``.

    References
    ----------
    .. [LCLY25] L. Liang, X. Chen, G. Luo, K. Yuan, "Achieving Linear Speedup and
       Near-Optimal Complexity for Decentralized Optimization over Row-stochastic
       Networks", ICML 2025, arXiv:2506.04600.
    .. [LLY25] L. Liang, G. Luo, K. Yuan, "On the Linear Speedup of the Push-Pull Method
       for Decentralized Optimization over Digraphs", arXiv:2506.18075.
    """
    n = check_int("n", n)
    rho = check_real("rho", rho, minimum=0.0)
    seed = check_seed(seed)
    if split not in ("homogeneous", "sorted"):
        raise ValueError(f"split = {split!r}, expected 'homogeneous' or 'sorted'")
    if not isinstance(standardize, (bool, np.bool_)):
        raise ValueError(f"standardize = {standardize!r}, expected True or False")
    if isinstance(data, os.PathLike):
        data = os.fspath(data)
    if not isinstance(data, str):
        raise ValueError(f"data = {data!r}, expected 'breast_cancer' or a LIBSVM file path")
    params = dict(n=n, data=data, rho=rho, split=split, standardize=bool(standardize),
                  seed=seed)

    if data == "breast_cancer":
        X, y = load_breast_cancer()
    elif os.path.isfile(data):
        X, y = load_libsvm(data)
    else:
        raise ValueError(
            f"data = {data!r}: no such file; expected 'breast_cancer' or the path of a "
            "LIBSVM-format file")
    check_finite_data(f"data {data!r}", X)
    N = X.shape[0]
    if n > N:
        raise ValueError(f"n = {n} exceeds the {N} samples of data {data!r}; expected "
                         f"n <= {N} so that every node holds a sample")
    if standardize:
        X = X - X.mean(axis=0)
        sd = X.std(axis=0)
        X = X / np.where(sd > 0, sd, 1.0)

    rng = np.random.default_rng(seed)
    order = rng.permutation(N)
    if split == "sorted":
        order = order[np.argsort(y[order], kind="stable")]
    bounds = np.concatenate([[0], np.cumsum(_split_sizes(N, n))])
    blocks = [order[bounds[i]:bounds[i + 1]] for i in range(n)]
    return LogisticProblem("logistic_data", [X[b] for b in blocks], [y[b] for b in blocks],
                           rho, params)


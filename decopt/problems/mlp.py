"""A one-hidden-layer tanh MLP classifier with Dirichlet label skew across nodes."""

from __future__ import annotations

import os

import numpy as np
from scipy.special import logsumexp, softmax

from .base import Problem, check_finite_data, check_int, check_real, check_seed
from .data import load_digits, load_image_npz

__all__ = ["MLPProblem", "mlp", "dirichlet_split"]

# max |tanh''(z)| = 4 / (3 sqrt 3), attained at tanh(z) = 1/sqrt(3)
_TANH2_MAX = 4.0 / (3.0 * np.sqrt(3.0))
# assumed bound on ||W2||_2 in the smoothness heuristic (Glorot scale, see mlp())
_W2_NORM = 2.0


def dirichlet_split(labels, n, alpha, rng):
    """Split sample indices across ``n`` nodes with Dirichlet(alpha) label skew.

    For each class ``c`` (in increasing order) its samples are shuffled and cut into
    ``n`` consecutive pieces with proportions ``q_c ~ Dir(alpha 1_n)``. Nodes left empty
    are then repaired deterministically: while some node is empty, the node holding the
    most samples (lowest id on ties) gives its last sample to the lowest-id empty node.
    Finally each node's indices are shuffled (so consecutive windows are not
    class-sorted). Requires ``len(labels) >= n``.

    Returns
    -------
    list of n int arrays
        Disjoint index sets covering ``range(len(labels))``, each non-empty.
    """
    labels = np.asarray(labels)
    if labels.shape[0] < n:
        raise ValueError(f"{labels.shape[0]} samples cannot give each of n = {n} nodes a "
                         "sample; expected at least n samples")
    parts = [[] for _ in range(n)]
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        idx = idx[rng.permutation(idx.size)]
        q = rng.dirichlet(np.full(n, alpha))
        if not np.isfinite(q).all() or q.sum() <= 0:     # underflow for tiny alpha
            q = np.zeros(n)
            q[rng.integers(n)] = 1.0
        cuts = np.floor(np.cumsum(q)[:-1] * idx.size).astype(np.intp)
        cuts = np.clip(cuts, 0, idx.size)
        for i, piece in enumerate(np.split(idx, cuts)):
            parts[i].extend(piece.tolist())
    while True:
        sizes = np.array([len(p) for p in parts])
        empty = np.flatnonzero(sizes == 0)
        if empty.size == 0:
            break
        donor = int(np.argmax(sizes))
        parts[empty[0]].append(parts[donor].pop())
    return [np.asarray(p, dtype=np.intp)[rng.permutation(len(p))] for p in parts]


class MLPProblem(Problem):
    """Softmax cross-entropy of a tanh MLP plus weight decay; build it with :func:`mlp`.

    Parameters are flattened as ``x = [W1 (p, h) row-major, b1 (h), W2 (h, C) row-major,
    b2 (C)]`` and the network is ``logits = tanh(a W1 + b1) W2 + b2``.
    """

    name = "mlp"

    def __init__(self, features, labels, classes, hidden, weight_decay, params):
        self.params = params
        self.node_features = features          # list of (m_i, p)
        self.node_labels = labels              # list of (m_i,) ints in 0..C-1
        self.n = len(features)
        self.in_dim = int(features[0].shape[1])
        self.hidden = int(hidden)
        self.classes = int(classes)
        self.weight_decay = float(weight_decay)
        p, h, C = self.in_dim, self.hidden, self.classes
        self._sizes = [p * h, h, h * C, C]
        self._offsets = np.cumsum([0] + self._sizes)
        self.dim = int(self._offsets[-1])
        self.samples_per_node = np.array([f.shape[0] for f in features], dtype=np.int64)
        self.x_star = None
        # Smoothness heuristic (see mlp()): with A~_i = [A_i, 1] and
        # lam_i = lambda_max(A~_i^T A~_i / m_i), and assuming ||W2||_2 <= w,
        # ||Hess f_i|| <= 0.5 (h + 1) + 0.5 w^2 lam_i       (Gauss-Newton part)
        #               + sqrt2 sqrt(lam_i)                  (W2-W1 cross term)
        #               + sqrt2 t w lam_i                    (tanh'' term)  + lambda.
        w = _W2_NORM
        bounds = []
        for f in features:
            fa = np.hstack([f, np.ones((f.shape[0], 1))])
            lam = float(np.linalg.eigvalsh(fa.T @ fa / f.shape[0])[-1])
            bounds.append(0.5 * (h + 1) + 0.5 * w * w * lam + np.sqrt(2.0 * lam)
                          + np.sqrt(2.0) * _TANH2_MAX * w * lam)
        self.L = float(max(bounds) + self.weight_decay)

    # -- parameter layout -----------------------------------------------------------------
    def unpack(self, x):
        """Split ``x`` (..., d) into views ``W1 (..., p, h), b1, W2 (..., h, C), b2``."""
        x = np.asarray(x)
        o = self._offsets
        lead = x.shape[:-1]
        p, h, C = self.in_dim, self.hidden, self.classes
        return (x[..., o[0]:o[1]].reshape(lead + (p, h)), x[..., o[1]:o[2]],
                x[..., o[2]:o[3]].reshape(lead + (h, C)), x[..., o[3]:o[4]])

    def predict(self, x, features):
        """Class scores (logits) of ``features`` (s, p) under parameters ``x`` (d,)."""
        W1, b1, W2, b2 = self.unpack(self._as_point(x))
        return np.tanh(np.asarray(features, dtype=np.float64) @ W1 + b1) @ W2 + b2

    def _loss_grad(self, P, F, Y, need_grad=True):
        """Mean CE over the samples + weight decay, and its gradient.

        P (..., d); F (..., s, p) or (s, p); Y (..., s) or (s,), leading axes broadcast
        against P's. Returns loss (...) and grad (..., d) (or None).
        """
        W1, b1, W2, b2 = self.unpack(P)
        Hh = np.tanh(F @ W1 + b1[..., None, :])                 # (..., s, h)
        O = Hh @ W2 + b2[..., None, :]                          # (..., s, C)
        Yb = np.broadcast_to(Y, O.shape[:-1])
        lse = logsumexp(O, axis=-1)
        picked = np.take_along_axis(O, Yb[..., None], axis=-1)[..., 0]
        s = O.shape[-2]
        loss = (lse - picked).mean(axis=-1) + 0.5 * self.weight_decay * (P * P).sum(-1)
        if not need_grad:
            return loss, None
        D = softmax(O, axis=-1)
        D[Yb[..., None] == np.arange(self.classes)] -= 1.0
        D /= s                                                  # dCE/dO
        gW2 = np.swapaxes(Hh, -1, -2) @ D                       # (..., h, C)
        gb2 = D.sum(axis=-2)
        dZ = (D @ np.swapaxes(W2, -1, -2)) * (1.0 - Hh * Hh)    # (..., s, h)
        gW1 = np.swapaxes(F, -1, -2) @ dZ                       # (..., p, h)
        gb1 = dZ.sum(axis=-2)
        lead = gW1.shape[:-2]
        grad = np.concatenate(
            [gW1.reshape(lead + (-1,)), np.broadcast_to(gb1, lead + gb1.shape[-1:]),
             gW2.reshape(lead + (-1,)), np.broadcast_to(gb2, lead + gb2.shape[-1:])],
            axis=-1)
        return loss, grad + self.weight_decay * P

    # -- kernels --------------------------------------------------------------------------
    def _local_losses(self, nodes, X):
        out = np.empty(X.shape[:-1])
        for j, i in enumerate(nodes):
            out[..., j] = self._loss_grad(X[..., j, :], self.node_features[i],
                                          self.node_labels[i], need_grad=False)[0]
        return out

    def _grads(self, nodes, X):
        out = np.empty(X.shape)
        for j, i in enumerate(nodes):
            out[..., j, :] = self._loss_grad(X[..., j, :], self.node_features[i],
                                             self.node_labels[i])[1]
        return out

    def _sample_grads(self, nodes, X, idx):
        out = np.empty(X.shape)
        for j, i in enumerate(nodes):
            sel = idx[..., j, :]                                # (..., b)
            out[..., j, :] = self._loss_grad(X[..., j, :], self.node_features[i][sel],
                                             self.node_labels[i][sel])[1]
        return out

    def _data_arrays(self):
        out = {}
        for i, (f, y) in enumerate(zip(self.node_features, self.node_labels)):
            out[f"features_{i:06d}"] = f
            out[f"labels_{i:06d}"] = y
        return out

    def initial_point(self, seed=0):
        """Glorot-uniform weights, zero biases: ``W ~ U(-a, a)``, ``a = sqrt(6/(in+out))``.

        Parameters
        ----------
        seed : int, default 0
            Seed of ``np.random.default_rng`` (independent of the problem's data seed).
        """
        rng = np.random.default_rng(seed)
        p, h, C = self.in_dim, self.hidden, self.classes
        a1, a2 = np.sqrt(6.0 / (p + h)), np.sqrt(6.0 / (h + C))
        return np.concatenate([rng.uniform(-a1, a1, p * h), np.zeros(h),
                               rng.uniform(-a2, a2, h * C), np.zeros(C)])


def mlp(n=16, hidden=32, data="digits", dirichlet=0.5, samples_per_node=None,
        weight_decay=1e-4, seed=0):
    """One-hidden-layer tanh MLP classifier over label-skewed nodes.

    The small stand-in for the neural-network experiments of [LCLY25]_ and [LLY25]_
    (MNIST 784-1024-1024-10 with Dirichlet(0.5) label skew over 16 nodes), run on data a
    default install has. With ``a`` a feature row, ``c`` its class and
    ``x = (W1, b1, W2, b2)``,

    .. math::

        f_i(x) = \\frac{1}{m_i} \\sum_{(a, c) \\in S_i}
                 -\\log \\mathrm{softmax}(\\tanh(a W_1 + b_1) W_2 + b_2)_c
                 + \\frac{\\lambda}{2} \\|x\\|^2,

    with ``lambda = weight_decay`` applied to every parameter (biases included). tanh (not
    ReLU) keeps every ``f_i`` smooth, so finite differences and smoothness-based step
    rules apply. ``dim = p h + h + h C + C`` (digits, h = 32: 64*32 + 32 + 32*10 + 10 =
    2410); parameter layout in :meth:`MLPProblem.unpack`.

    Parameters
    ----------
    n : int, default 16
        Number of nodes (>= 1).
    hidden : int, default 32
        Hidden width ``h`` (>= 1).
    data : str, default "digits"
        ``"digits"``: scikit-learn's 8x8 digits (1797 samples, p = 64, C = 10), bundled
        with decopt (falls back to scikit-learn if the file is missing). Otherwise the
        path of an .npz with keys ``x_train`` and ``y_train`` (keras' ``mnist.npz``
        layout); only the training part is used. Pixels are divided by the file's maximum
        so they lie in [0, 1]; labels are mapped to 0..C-1.
    dirichlet : float, default 0.5
        Concentration ``alpha > 0`` of the label skew (the standard protocol): for each
        class, its samples are split across the nodes with proportions
        ``~ Dir(alpha 1_n)``; small alpha -> few classes per node, large alpha -> nearly
        i.i.d. Every node is guaranteed at least one sample: empty nodes receive one
        sample each from the currently largest node (see :func:`dirichlet_split`).
        Node sample counts therefore differ.
    samples_per_node : int, optional
        Default None: use the whole data set. An int ``s``: first draw a uniform random
        subset of ``n s`` samples (without replacement; ValueError if the set is
        smaller), then split it as above, so ``s`` is the *mean* node size.
    weight_decay : float, default 1e-4
        ``lambda >= 0``.
    seed : int, default 0
        Seed of ``np.random.default_rng``; draws, in order, the subset (if any), then per
        class a permutation and the Dirichlet proportions, then one shuffle per node. The
        initial point has its own seed, see ``initial_point``.

    Returns
    -------
    MLPProblem
        With ``x_star = None``, ``samples_per_node`` the node sizes, ``initial_point(seed)``
        (Glorot-uniform weights, zero biases; an MLP must not start at 0, where the hidden
        units are symmetric) and ``L`` a *heuristic* for step-size rules:

        ``L = max_i [0.5 (h + 1) + 0.5 w^2 lam_i + sqrt(2 lam_i) + sqrt(2) t w lam_i]
        + lambda``,

        with ``lam_i`` the largest eigenvalue of ``(1/m_i) sum_{a in S_i} [a, 1][a, 1]^T``,
        ``t = max |tanh''| = 4/(3 sqrt 3)`` and ``w = 2``. It bounds
        ``||Hess f_i(x)||_2`` wherever ``||W2||_2 <= 2`` (Gauss-Newton part with the
        softmax-CE Hessian <= 1/2 and ``|tanh| <= 1``, plus the network's curvature times
        ``||grad_logits CE|| <= sqrt 2``). That holds at and near the Glorot
        initialisation, whose ``||W2||_2`` is about ``sqrt(2/(h+C)) (sqrt h + sqrt C) <=
        2``, but not along a whole training run: a network's curvature is not globally
        bounded. The bound is also loose (typically 10-30x the curvature measured at
        ``initial_point``); use ``L`` only to scale step sizes.

    References
    ----------
    .. [LCLY25] L. Liang, X. Chen, G. Luo, K. Yuan, "Achieving Linear Speedup and
       Near-Optimal Complexity for Decentralized Optimization over Row-stochastic
       Networks", ICML 2025, arXiv:2506.04600.
    .. [LLY25] L. Liang, G. Luo, K. Yuan, "On the Linear Speedup of the Push-Pull Method
       for Decentralized Optimization over Digraphs", arXiv:2506.18075.
    """
    n = check_int("n", n)
    hidden = check_int("hidden", hidden)
    if hidden > np.iinfo(np.intp).max // 2**16:
        # the parameter vector (about hidden * (p + C) floats) could not even be indexed
        raise ValueError(f"hidden = {hidden}, expected an integer <= "
                         f"{np.iinfo(np.intp).max // 2**16} (the parameter vector must fit "
                         f"in memory)")
    dirichlet = check_real("dirichlet", dirichlet, minimum=0.0, strict=True)
    if samples_per_node is not None:
        samples_per_node = check_int("samples_per_node", samples_per_node)
    weight_decay = check_real("weight_decay", weight_decay, minimum=0.0)
    seed = check_seed(seed)
    if isinstance(data, os.PathLike):
        data = os.fspath(data)
    if not isinstance(data, str):
        raise ValueError(f"data = {data!r}, expected 'digits' or the path of an .npz file")
    params = dict(n=n, hidden=hidden, data=data, dirichlet=dirichlet,
                  samples_per_node=samples_per_node, weight_decay=weight_decay, seed=seed)

    if data == "digits":
        X, y, classes = load_digits()
    elif os.path.isfile(data):
        X, y, classes = load_image_npz(data)
    else:
        raise ValueError(f"data = {data!r}: no such file; expected 'digits' or the path of "
                         "an .npz with keys x_train, y_train (keras' mnist.npz layout)")
    check_finite_data(f"data {data!r}", X)

    rng = np.random.default_rng(seed)
    if samples_per_node is not None:
        total = n * samples_per_node
        if total > X.shape[0]:
            raise ValueError(
                f"n * samples_per_node = {total} exceeds the {X.shape[0]} samples of data "
                f"{data!r}; expected at most {X.shape[0] // n} samples per node")
        keep = np.sort(rng.choice(X.shape[0], size=total, replace=False))
        X, y = X[keep], y[keep]
    if X.shape[0] < n:
        raise ValueError(f"n = {n} exceeds the {X.shape[0]} samples of data {data!r}; "
                         f"expected n <= {X.shape[0]} so that every node holds a sample")
    parts = dirichlet_split(y, n, dirichlet, rng)
    return MLPProblem([np.ascontiguousarray(X[p]) for p in parts],
                      [np.ascontiguousarray(y[p]) for p in parts],
                      classes, hidden, weight_decay, params)

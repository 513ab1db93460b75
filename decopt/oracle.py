"""Per-node stochastic gradient oracle.

Each node's randomness is a function of (seed, node id, call number) only, never of the
backend or of how nodes are placed on processes: run ``seed`` owns one stream,
``numpy.random.default_rng([seed, 0x5eed])``, and every call draws the samples of *all*
n nodes from it, in a fixed order (R draws for the R samples a multi-step-gossip
iteration averages), keeping the rows of the hosted nodes. Every process therefore
walks the same stream; drawing all n rows costs O(n d) per call, small next to the
mixing, and makes placement irrelevant by construction. The streams' states are part of
a checkpoint (:meth:`Oracle.get_state`).
"""

from __future__ import annotations

import json

import numpy as np


def as_seed(seed) -> int:
    """An int seed from an int or a numpy Generator (which is advanced once)."""
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63 - 1))
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int >= 0 or a numpy Generator, got {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return int(seed)


_STREAM = 0x5EED  # domain tag of the gradient-noise streams


class Oracle:
    """Stochastic gradients ``g(X)`` for the hosted nodes of one or several runs.

    Parameters
    ----------
    problem : decopt.problems.Problem
    nodes : array of int
        Global ids of the hosted nodes.
    seeds : list of int
        One seed per independent run; iterates carry a leading run axis when
        ``batched`` is true.
    noise : float
        Standard deviation sigma of additive Gaussian noise N(0, sigma^2 I).
    batch_size : int or None
        Minibatch size per node (sampled with replacement from its local samples);
        None uses the full local gradient.
    samples : int
        Samples averaged per call (R for multi-step gossip).
    batched : bool
        Whether iterates have a leading run axis.

    Attributes
    ----------
    calls : int
        Number of ``grad`` calls so far (part of a checkpoint).
    """

    def __init__(self, problem, nodes, seeds, noise=0.0, batch_size=None, samples=1,
                 batched=False):
        self.problem = problem
        self.nodes = problem._as_nodes(nodes)
        self.seeds = [as_seed(s) for s in seeds]
        self.noise = float(noise)
        self.batch_size = batch_size
        self.samples = int(samples)
        self.batched = bool(batched)
        self.calls = 0
        self._rngs = [np.random.default_rng([s, _STREAM]) for s in self.seeds]
        self.deterministic = self.noise == 0.0 and batch_size is None
        if batch_size is not None:
            self._sizes = np.asarray(problem.samples_per_node, dtype=np.int64)

    def grad(self, X: np.ndarray) -> np.ndarray:
        """Stochastic gradients at X, shape (m, d) or (runs, m, d)."""
        self.calls += 1
        # The problem's raw kernels: inputs here are valid by construction (the public
        # grads/sample_grads validate every call, which the hot loop cannot afford).
        if self.deterministic:
            return self.problem._grads(self.nodes, X)
        Xb = X if self.batched else X[None]
        n, d = self.problem.n, self.problem.dim
        full = None if self.batch_size is not None else self.problem._grads(self.nodes, Xb)
        acc = np.zeros_like(Xb)
        rngs = self._rngs
        for _ in range(self.samples):
            if full is None:
                b = self.batch_size
                u = np.stack([g.random((n, b))[self.nodes] for g in rngs])
                idx = (u * self._sizes[self.nodes][:, None]).astype(np.int64)
                acc += self.problem._sample_grads(self.nodes, Xb, idx)
            else:
                acc += full
            if self.noise:
                z = np.stack([g.standard_normal((n, d))[self.nodes] for g in rngs])
                acc += self.noise * z
        acc /= self.samples
        return acc if self.batched else acc[0]

    def losses(self, X: np.ndarray) -> np.ndarray:
        """Full local losses ``f_i(x_i)`` of the hosted nodes at X: (..., m, d) -> (..., m).

        Deterministic (the whole local data set), for methods whose update weighs the
        clients by their losses (q-FFL, AdaFedAdam); not counted in ``calls``."""
        return self.problem._local_losses(self.nodes, X)

    def get_state(self) -> str:
        """The call counter and the random streams' states, as a JSON string."""
        return json.dumps({"calls": self.calls,
                           "streams": [g.bit_generator.state for g in self._rngs]})

    def set_state(self, text: str) -> None:
        """Restore what :meth:`get_state` returned."""
        doc = json.loads(text)
        if len(doc["streams"]) != len(self._rngs):
            raise ValueError(f"checkpoint holds {len(doc['streams'])} random streams, "
                             f"this run has {len(self._rngs)} seeds")
        self.calls = int(doc["calls"])
        for g, st in zip(self._rngs, doc["streams"]):
            g.bit_generator.state = st

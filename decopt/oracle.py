"""Per-node stochastic gradient oracle.

Each node's randomness is a function of (seed, node id, call number) only, never of the
backend or of how nodes are placed on processes: the minibatch indices and the Gaussian
noise of node i at a call come from counter-based streams keyed by (seed, tag, node or
block of 256 nodes, counter) of which node i reads its own row: for draws of more than
64 values per node :func:`decopt.streams.block_uniform` / ``block_normal`` (one PCG64
stream per block), for smaller ones :func:`decopt.streams.uniform` / ``normal`` (a hash
per value, vectorised over seeds and nodes). A process draws only the blocks
of the nodes it hosts (O(m), not O(n), per call), and the draws of all nodes and all
batched seeds are vectorised. The only state is the call counter (a checkpoint stores
it, :meth:`Oracle.get_state`).
"""

from __future__ import annotations

import json

import numpy as np

from . import streams


def as_seed(seed) -> int:
    """An int seed from an int or a numpy Generator (which is advanced once)."""
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63 - 1))
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int >= 0 or a numpy Generator, got {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return int(seed)


_STATE_FORMAT = "counter-streams-1"
#: Draws of at most this many values per node use the hashed streams
#: (:func:`decopt.streams.uniform` / ``normal``, vectorised over seeds and nodes, no
#: per-block generator to build); larger ones the blocked PCG64 streams (3x faster per
#: value). The choice depends only on the draw size, never on the placement.
_SMALL = 64   # what get_state writes (older: per-seed streams)


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
        self.deterministic = self.noise == 0.0 and batch_size is None
        if batch_size is not None:
            sizes = np.asarray(problem.samples_per_node, dtype=np.int64)
            self._local_sizes = sizes[self.nodes].astype(np.float64)[:, None]

    def grad(self, X: np.ndarray) -> np.ndarray:
        """Stochastic gradients at X, shape (m, d) or (runs, m, d)."""
        self.calls += 1
        # The problem's raw kernels: inputs here are valid by construction (the public
        # grads/sample_grads validate every call, which the hot loop cannot afford).
        if self.deterministic:
            return self.problem._grads(self.nodes, X)
        Xb = X if self.batched else X[None]
        d = self.problem.dim
        full = None if self.batch_size is not None else self.problem._grads(self.nodes, Xb)
        acc = None
        for r in range(self.samples):
            counter = (self.calls - 1) * self.samples + r
            if full is None:
                draw = streams.block_uniform if self.batch_size > _SMALL \
                    else streams.uniform                            # see module docstring
                u = draw(self.seeds, "minibatch", counter, self.nodes,
                         self.batch_size)                           # (runs, m, b)
                u *= self._local_sizes                # uniform index in [0, m_i)
                part = self.problem._sample_grads(self.nodes, Xb, u.astype(np.intp))
            else:
                part = full.copy() if self.noise or self.samples > 1 else full
            if self.noise:
                draw = streams.block_normal if d > _SMALL else streams.normal
                part += self.noise * draw(self.seeds, "gradient_noise", counter,
                                          self.nodes, d)
            acc = part if acc is None else acc + part
        if self.samples > 1:
            acc /= self.samples
        return acc if self.batched else acc[0]

    def losses(self, X: np.ndarray) -> np.ndarray:
        """Full local losses ``f_i(x_i)`` of the hosted nodes at X: (..., m, d) -> (..., m).

        Deterministic (the whole local data set), for methods whose update weighs the
        clients by their losses (q-FFL, AdaFedAdam); not counted in ``calls``."""
        return self.problem._local_losses(self.nodes, X)

    def get_state(self) -> str:
        """The call counter (all randomness is keyed by it), as a JSON string."""
        return json.dumps({"calls": self.calls, "format": _STATE_FORMAT})

    def set_state(self, text: str) -> None:
        """Restore what :meth:`get_state` returned."""
        doc = json.loads(text)
        if doc.get("format") != _STATE_FORMAT:
            raise ValueError(
                f"checkpoint holds oracle state of format {doc.get('format', 'per-seed streams')!r}, "
                f"expected {_STATE_FORMAT!r} (it was written by an older decopt whose random "
                f"streams differ; rerun from the start)")
        self.calls = int(doc["calls"])

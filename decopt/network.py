"""The network: the only way an algorithm talks to other nodes.

An algorithm sees the rows of the m nodes hosted by this process (arrays of shape
``(..., m, k)``: an optional leading batch axis of independent runs, the node axis, then
the per-node payload) and mixes them with two verbs:

- ``net.pull(*arrays)``: multiply by the row-stochastic matrix A (receiver-weighted);
- ``net.push(*arrays)``: multiply by the column-stochastic matrix B (sender-weighted).

Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
if j -> i or j == i.

Arrays given to one call travel in one message. With ``rounds=R`` every call applies
its matrix R times (multi-step gossip). For a time-varying topology (a periodic list of
matrices), gossip round r of iteration k uses matrix number ``(k * R + r) mod period``.

The network, not the algorithm, counts communication: per call it adds R to
``counters.rounds``, and per round one message per directed edge (self-loops excluded)
carrying the packed payload of one run. Metric evaluation (``gather``) is not counted.

A third verb serves federated methods (a star: every client talks to a server):

- ``net.average(*arrays, mask=None)``: the exact average over the participating nodes,
  returned to every hosted node (an Allreduce under MPI). Counted as one upload and one
  download per participating node (``counters.uploads`` / ``counters.downloads``) and
  64 bits per float64 value each way (``counters.bits``); it adds no gossip round.

Client sampling (``participation=p``) draws, for communication round k (the iteration
set by :meth:`Network.set_step`), a subset of exactly ``ceil(p n)`` nodes, uniformly
among the subsets of that size, as a pure function of (seed, "participation", k)
through :mod:`decopt.streams`; :meth:`Network.participants` gives the hosted nodes' rows
of that mask. A fixed-size subset (FedAvg's fraction C of clients, arXiv:1602.05629) is
never empty and costs the same number of uploads in every batched run.

Bits on the wire: an uncompressed float64 value costs 64 bits. A compressed method
passes the operator that produced the (dense) values it sends,
``net.pull(q, compressor=op)``; the network then counts ``op.bits(k)`` per k-vector per
message instead of ``64 k``. A compressed message is one gossip round: with R > 1 such a
call must name its round, ``net.pull(q, compressor=op, gossip_round=r)``, which applies
only round r of this iteration's R rounds (methods that compress every round loop over
r themselves).

Unreliable links, random activation and random time-varying topologies
(``link_failure=p``, ``activation=q``, a ``generator``) are a per-round transformation
of the round's matrix computed here in the base class (:meth:`Network._round`, model in
:mod:`decopt.links`), keyed by the run's seeds through :mod:`decopt.streams`, so both
backends apply the same matrices; the counters then count delivered messages only.

Observers (``net.observers``, e.g. :class:`decopt.costmodel.SimClock`) are told about
every gossip round from one place, the base class's counting code: ``obs.on_round(net,
side, matrix, bits)`` with the side ("row" for pull, "col" for push), the full
receiver-first matrix of that round (the same on every backend and rank) and the bits
per message of one run.
"""

from __future__ import annotations

import math
import dataclasses
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from . import streams
from . import links


@dataclass
class Counters:
    """Communication counters of one run.

    Attributes
    ----------
    rounds : int
        Communication rounds (one per gossip round of a ``pull``/``push`` call).
    messages : int
        Node-to-node messages (one per directed edge j -> i, j != i, per round).
    floats : int
        Float64 values sent in those messages, for one run (a leading batch axis of
        independent runs is not multiplied in).
    uploads, downloads : int
        Client-to-server and server-to-client messages of ``net.average`` (one each per
        participating node per call).
    bits : int
        Bits on the wire for one run: 64 per float64 value (in gossip messages and in
        both directions of ``net.average``), or ``compressor.bits(k)`` per k-vector for
        a compressed gossip message (values plus indices).
    """

    rounds: int = 0
    messages: int = 0
    floats: int = 0
    uploads: int = 0
    downloads: int = 0
    bits: int = 0

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


class Network:
    """Base class of the backends: hosted nodes, two mixing verbs, the counters.

    What an algorithm may use (the backends :class:`decopt.backends.local.LocalNetwork`
    and :class:`decopt.backends.mpi.MPINetwork` inherit it):

    - ``pull(*arrays)`` / ``push(*arrays)``: arrays of shape (..., m, k) (the m hosted
      nodes' rows, an optional leading batch axis) mixed by A / B, R times; a bare array
      for one input, a tuple for several; all arrays of one call are one message;
    - ``identity_rows()`` (m, n) and ``own_entries(v)`` (m,): see below;
    - ``n``, ``m``, ``nodes`` (global ids of the hosted nodes), ``is_root``.

    Everything else (``gather``, ``bcast``, counters, ``set_step``) is the runner's.

    Parameters
    ----------
    n : int
        Number of nodes in the whole network.
    nodes : array of int
        Global ids of the nodes hosted here (ascending).
    row, col : list of scipy.sparse.csr_array or None
        One period of the row-stochastic (``pull``) and column-stochastic (``push``)
        matrices; a static topology is a period of one. Receiver-first convention.
    rounds : int
        Gossip rounds R per mixing call (multi-step gossip when R > 1).
    participation : float
        Fraction p in (0, 1] of the nodes sampled per round by :meth:`participants`
        (``ceil(p n)`` of them).
    link_failure : float
        Probability p in [0, 1) that a directed link drops in a gossip round
        (:mod:`decopt.links`: pull re-normalises, push keeps undelivered mass).
    activation : float
        Probability q in (0, 1] that a node is awake in an iteration (1: synchronous).
    seeds : list of int or None
        The run's seeds, one per batched run (default ``[0]``); they key the client
        sampling, link failures, activation and random topologies.
    generator : decopt.dynamic.RandomTopology or None
        Random time-varying topology: the matrix of topology round t = k R + r is
        ``generator.matrix(side, t, seed)``; ``row``/``col`` then hold its support.

    Notes
    -----
    With link failures, activation or a generator the matrices differ per seed: a
    batched call then mixes each run's columns with its own matrix (arrays without a
    batch axis are broadcast to one), and the counters follow the first seed's links.
    """

    def __init__(self, n, nodes, row=None, col=None, rounds=1, *, participation=1.0,
                 link_failure=0.0, activation=1.0, seeds=None, generator=None):
        self.n = int(n)
        self.nodes = np.asarray(nodes, dtype=np.int64)
        self.m = len(self.nodes)
        self.row = list(row) if row is not None else None
        self.col = list(col) if col is not None else None
        self.rounds = int(rounds)
        self.step = 0
        self.participation = float(participation)
        self.counters = Counters()
        self.link_failure = links.check_probability("link_failure", link_failure,
                                                    low_open=False, high_open=True)
        self.activation = links.check_probability("activation", activation,
                                                  low_open=True, high_open=False)
        self.seeds = [0] if seeds is None else [int(s) for s in seeds]
        self.generator = generator
        #: negative control only: push drops lose their mass (see decopt.links)
        self.vanish = False
        #: what a pull receiver does with missing messages: "renormalise" (default) or
        #: "self" (own value in their place; see decopt.links.transform)
        self.pull_rule = "renormalise"
        #: Objects with ``on_round(net, side, matrix, bits)``, called after every gossip
        #: round (see :meth:`_count`); e.g. :class:`decopt.costmodel.SimClock`.
        self.observers: list = []
        self._current = (None, None)
        # Off-diagonal nonzeros per matrix: the messages one gossip round sends.
        self._edges = {
            side: [int(M.nnz - np.count_nonzero(M.diagonal())) for M in mats]
            for side, mats in (("row", self.row), ("col", self.col))
            if mats is not None
        }
        self.dynamic = (generator is not None or self.link_failure > 0
                        or self.activation < 1)
        if self.dynamic:   # fixed patterns with the diagonal: rounds change values only
            self.row = None if self.row is None else [links.structured(M) for M in self.row]
            self.col = None if self.col is None else [links.structured(M) for M in self.col]
        self._awake_cache: dict = {}
        self._patterns: dict = {}
        self._templates: dict = {}
        if generator is not None:   # the generator's matrices live on the stored pattern
            for mats in (self.row, self.col):
                S = generator.support()
                if mats is not None and not (np.array_equal(mats[0].indptr, S.indptr) and
                                             np.array_equal(mats[0].indices, S.indices)):
                    raise ValueError("the stored matrices of a random topology must be its "
                                     "support pattern")

    # ------------------------------------------------------------------ verbs
    def pull(self, *arrays, compressor=None, gossip_round=None):
        """Mix by the row-stochastic matrix A, R times; returns one array per input.

        ``compressor`` (an operator of :mod:`decopt.compression`, or one per array, None
        for an uncompressed one) only sets the bits counted per message; the arrays are
        already the values sent. ``gossip_round=r`` applies only gossip round r of this
        iteration (required for a compressed message when R > 1).
        """
        return self._verb("row", arrays, compressor, gossip_round)

    def push(self, *arrays, compressor=None, gossip_round=None):
        """Mix by the column-stochastic matrix B, R times; returns one array per input.
        ``compressor`` and ``gossip_round`` as in :meth:`pull`."""
        return self._verb("col", arrays, compressor, gossip_round)

    def _verb(self, side, arrays, compressor, gossip_round):
        self._msg_bits = self._bits_per_message(side, arrays, compressor, gossip_round)
        if gossip_round is None:
            try:
                return self._mix(side, arrays)
            finally:
                self._msg_bits = None
        R = self.rounds
        if isinstance(gossip_round, bool) or not isinstance(gossip_round, (int, np.integer)) \
                or not 0 <= gossip_round < R:
            raise ValueError(f"gossip_round must be an int in [0, rounds={R}), got "
                             f"{gossip_round!r}")
        # one round: matrix number step*R + r of the period, as in the R-round call
        step = self.step
        self.rounds, self.step = 1, step * R + int(gossip_round)
        try:
            return self._mix(side, arrays)
        finally:
            self.rounds, self.step, self._msg_bits = R, step, None

    def _bits_per_message(self, side, arrays, compressor, gossip_round):
        """Bits of one message of this call (one run), or None for 64 per float."""
        if compressor is None:
            return None
        ops = compressor if isinstance(compressor, (list, tuple)) else \
            [compressor] * len(arrays)
        if len(ops) != len(arrays):
            raise ValueError(f"{len(ops)} compressors for {len(arrays)} arrays; give one "
                             f"operator, or one (or None) per array")
        if gossip_round is None and self.rounds > 1 and any(o is not None for o in ops):
            verb = "pull" if side == "row" else "push"
            raise ValueError(
                f"a compressed message is one gossip round, but this network applies "
                f"rounds={self.rounds}; call net.{verb}(..., gossip_round=r) for each "
                f"r in range({self.rounds})")
        total = 0
        for a, op in zip(arrays, ops):
            k = int(np.shape(a)[-1])
            total += 64 * k if op is None else int(op.bits(k))
        return total

    def average(self, *arrays, mask=None):
        """Exact average over the participating nodes, returned to every hosted node.

        Parameters
        ----------
        *arrays : arrays of shape (..., m, k)
            Rows of the hosted nodes (an optional leading batch axis of runs).
        mask : bool array of shape (..., m) or None
            Which hosted nodes take part (None: all of them). At least one node of the
            whole network must take part in each run.

        Returns
        -------
        One array per input, of the input's shape: every row holds
        ``sum_{i in S} a_i / |S|`` over the participating set S of the whole network.

        One call is one upload and one download per participating node (counted for
        the first run of a batch; with :meth:`participants` every run has the same
        number of participants), 64 bits per float each way.
        """
        shapes = [np.shape(a) for a in arrays]
        for s in shapes:
            if len(s) < 2 or s[-2] != self.m:
                raise ValueError(f"net.average expects arrays of shape (..., m, k) with "
                                 f"m={self.m} hosted nodes, got shape {s}")
        batch = shapes[0][:-2]
        if mask is None:
            w = np.ones(batch + (self.m,))
        else:
            w = np.broadcast_to(np.asarray(mask, dtype=np.float64), batch + (self.m,))
        # one buffer: the masked sums of every array, then the count
        parts = [np.einsum("...m,...mk->...k", w, np.asarray(a, dtype=np.float64))
                 for a in arrays]
        parts.append(w.sum(axis=-1, keepdims=True))
        buf = self._allreduce_sum(np.concatenate(parts, axis=-1))
        count = buf[..., -1:]
        if np.any(count <= 0):
            raise ValueError("net.average: no node takes part in this round (empty mask)")
        out, c = [], 0
        for s in shapes:
            k = s[-1]
            mean = buf[..., c:c + k] / count
            c += k
            out.append(np.array(np.broadcast_to(mean[..., None, :], s)))
        width = sum(int(s[-1]) for s in shapes)
        parts_first = int(round(float(count.reshape(-1)[0])))
        self.counters.uploads += parts_first
        self.counters.downloads += parts_first
        self.counters.bits += 2 * 64 * parts_first * width
        return out[0] if len(out) == 1 else tuple(out)

    def participants(self) -> np.ndarray:
        """Bool mask of the hosted nodes sampled in the current round, shape (m,) or,
        with several seeds, (runs, m): ``ceil(p n)`` nodes of the whole network chosen
        uniformly at random, a pure function of (seed, "participation", round)."""
        if self.participation >= 1.0:
            mask = np.ones((len(self.seeds), self.m), dtype=bool)
        else:
            k = self.participant_count
            u = streams.uniform(self.seeds, "participation", self.step,
                                np.arange(self.n), 1)[..., 0]          # (runs, n)
            chosen = np.argsort(u, axis=-1, kind="stable")[..., :k]
            full = np.zeros((len(self.seeds), self.n), dtype=bool)
            np.put_along_axis(full, chosen, True, axis=-1)
            mask = full[:, self.nodes]
        return mask if len(self.seeds) > 1 else mask[0]

    @property
    def participant_count(self) -> int:
        """Nodes sampled per round by :meth:`participants`: ``ceil(p n)`` (>= 1)."""
        if self.participation >= 1.0:
            return self.n
        return max(1, math.ceil(self.participation * self.n - 1e-12))

    def _allreduce_sum(self, buf: np.ndarray) -> np.ndarray:
        """Sum of ``buf`` over processes (one process here)."""
        return buf

    def set_step(self, k: int) -> None:
        """Tell the network the iteration number (selects time-varying matrices)."""
        self.step = int(k)

    @property
    def is_root(self) -> bool:
        return True

    def identity_rows(self) -> np.ndarray:
        """Rows ``e_i`` of the n x n identity for the hosted nodes, shape (m, n)."""
        v = np.zeros((self.m, self.n))
        v[np.arange(self.m), self.nodes] = 1.0
        return v

    def own_entries(self, v: np.ndarray) -> np.ndarray:
        """``[v_i]_i`` for each hosted node i, from rows v of shape (..., m, n); shape
        (..., m)."""
        return v[..., np.arange(self.m), self.nodes]

    # ------------------------------------------------------- asynchrony hook
    def awake(self, seed) -> np.ndarray:
        """Which of the n nodes are awake in the current iteration for run ``seed``."""
        key = (self.step, int(seed))
        a = self._awake_cache.get(key)
        if a is None:
            if len(self._awake_cache) > 16:
                self._awake_cache.clear()
            a = self._awake_cache[key] = links.awake(seed, self.step, self.n,
                                                     self.activation)
        return a

    def hold_sleeping(self, old, new):
        """The state ``new`` with the rows of this iteration's sleeping nodes taken from
        ``old`` (the runner calls it after every step; identity when activation = 1).

        A sleeping node neither computes nor communicates: its row and column of every
        matrix of the iteration are e_i, so no awake node reads it and it reads nobody,
        and restoring its rows makes the step a no-op for it. Why this keeps the
        tracking invariant of Push-Pull / Push-DIGing, 1^T Y^k = 1^T g^k: the push
        matrix B' of the round is column-stochastic (sleeping columns are e_i, awake
        columns keep the mass they could not deliver), so 1^T B' Y = 1^T Y; in
        Y+ = B' Y + g+ - g the sleeping row i is restored to y_i = [B' Y]_i and its
        g_i to the old g_i, i.e. its term g+_i - g_i becomes 0, so
        1^T Y+ = 1^T Y + 1^T (g+ - g) with the restored g, = 1^T g+. The same argument
        (restored rows equal the mixed rows) keeps every algorithm's recursion valid
        for the awake nodes.
        """
        if self.activation >= 1.0:
            return new
        masks = np.stack([self.awake(s)[self.nodes] for s in self.seeds])   # (S, m)
        out = {}
        for f in new._fields:
            a_new, a_old = np.asarray(getattr(new, f)), np.asarray(getattr(old, f))
            if a_new.ndim < 2 or a_new.shape[-2] != self.m:
                out[f] = getattr(new, f)
                continue
            # one seed: (m,) mask; several: (S, m), which also gives a field without
            # the batch axis one (each run has its own sleeping nodes)
            mask = masks[0] if len(self.seeds) == 1 else masks
            out[f] = np.where(mask[..., None], a_new, a_old)
        return type(new)(**out)

    # ------------------------------------------------------------- internals
    def _matrices(self, side: str, r: int):
        mats = self.row if side == "row" else self.col
        if mats is None:
            verb = "pull" if side == "row" else "push"
            kind = "row" if side == "row" else "column"
            raise ValueError(
                f"this network has no {kind}-stochastic matrix, so net.{verb} is not "
                f"available; give the run a {kind}-stochastic matrix")
        j = (self.step * self.rounds + r) % len(mats)
        self._current = (side, mats[j])
        return mats[j], self._edges[side][j]

    _msg_bits = None   # bits of one message of the current call (None: 64 per float)

    #: Whether :meth:`_round` may return a random topology's rounds as compact matrices
    #: (their own edges only) instead of values on the stored support pattern: the
    #: in-process backend multiplies with them directly; the MPI backend's plans are
    #: built on the support, so it takes values.
    compact_rounds = False

    def _round(self, side: str, r: int):
        """Gossip round r of the current call: ``(t, values, edges)``, with t the index
        of the stored matrix (and MPI plan), ``values`` None for the stored matrix
        unchanged, or one data vector per seed on the stored matrix's pattern, or (a
        random topology with :attr:`compact_rounds`) one compact matrix per seed; and
        ``edges`` the messages delivered (first seed's links)."""
        M0, edges = self._matrices(side, r)
        mats_all = self.row if side == "row" else self.col
        t_top = self.step * self.rounds + r
        t = 0 if self.generator is not None else t_top % len(mats_all)
        if not self.dynamic:
            return t, None, edges
        if self.generator is not None and self.compact_rounds:
            return t, *self._compact_round(side, t_top)
        pat = self._patterns.get((side, t))
        if pat is None:
            pat = self._patterns[(side, t)] = links.Pattern(mats_all[t])
        out, counts = [], []
        for s in self.seeds:
            if self.generator is not None:
                data = self.generator.matrix("row" if side == "row" else "column",
                                             t_top, s).data
            else:
                data = mats_all[t].data
            if self.link_failure > 0 or self.activation < 1:
                data, e = links.transform_values(
                    pat, data, side, p=self.link_failure, seed=s,
                    round_index=self.counters.rounds,
                    awake_mask=self.awake(s) if self.activation < 1 else None,
                    vanish=self.vanish, pull_rule=self.pull_rule)
            else:
                e = int(np.count_nonzero(data[~pat.diag]))
            out.append(data)
            counts.append(e)
        if self.observers:   # the round's delivered links (first seed), for the clock
            M = mats_all[t].copy()
            M.data = out[0]
            self._current = (side, M)
        return t, out, counts[0]

    def _compact_round(self, side: str, t_top: int):
        """One compact matrix per seed for topology round ``t_top`` of the generator
        (links and activation applied on its own pattern, keyed by link as on the
        support, so the same messages fail), and the first seed's delivered links."""
        out, counts = [], []
        for s in self.seeds:
            M = self.generator.matrix("row" if side == "row" else "column", t_top, s,
                                      compact=True)
            if self.link_failure > 0 or self.activation < 1:
                data, e = links.transform_values(
                    links.Pattern(M), M.data, side, p=self.link_failure, seed=s,
                    round_index=self.counters.rounds,
                    awake_mask=self.awake(s) if self.activation < 1 else None,
                    vanish=self.vanish, pull_rule=self.pull_rule)
                M = sp.csr_array((data, M.indices, M.indptr), shape=M.shape)
            else:
                rows = np.repeat(np.arange(self.n), np.diff(M.indptr))
                e = int(np.count_nonzero(M.data[rows != M.indices]))
            out.append(M)
            counts.append(e)
        if self.observers:
            self._current = (side, out[0])
        return out, counts[0]

    def _template(self, side: str, t: int):
        """A CSR matrix with the pattern of stored matrix t whose ``data`` the dynamic
        path overwrites before each product (no per-round construction)."""
        T = self._templates.get((side, t))
        if T is None:
            M = (self.row if side == "row" else self.col)[t]
            T = self._templates[(side, t)] = M.copy()
        return T

    def _batch(self, arrays):
        """Arrays as mixed by a dynamic network: with several seeds every array gets the
        batch axis (broadcast if missing); also the packed column indices of each run."""
        S = len(self.seeds)
        arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
        if S > 1:
            for i, a in enumerate(arrays):
                if a.ndim == 2:
                    arrays[i] = np.broadcast_to(a, (S,) + a.shape)
                elif a.ndim != 3 or a.shape[0] != S:
                    raise ValueError(f"with {S} batched seeds and per-seed matrices, "
                                     f"mixed arrays must have shape ({S}, m, k) or (m, k), "
                                     f"got {a.shape}")
        cols = [[] for _ in range(S)]
        c = 0
        for a in arrays:
            k = a.shape[-1]
            if S == 1:
                cols[0].append(np.arange(c, c + int(np.prod(a.shape[:-2], dtype=int)) * k))
            else:
                for s in range(S):
                    cols[s].append(np.arange(c + s * k, c + (s + 1) * k))
            c += int(np.prod(a.shape[:-2], dtype=int)) * k
        return arrays, [np.concatenate(x) for x in cols]

    def _count(self, edges: int, width: int) -> None:
        """Count one gossip round over the matrix of this round, and tell the observers:
        ``obs.on_round(net, side, matrix, bits)`` with ``side`` in {"row", "col"}, the
        full receiver-first n x n matrix of the round (the same on every backend and
        rank; with link failures or activation, the first seed's delivered links) and
        ``bits`` per message of one run (``64 * width`` uncompressed)."""
        self.counters.rounds += 1
        self.counters.messages += edges
        self.counters.floats += edges * width
        per = 64 * width if self._msg_bits is None else self._msg_bits
        self.counters.bits += edges * per
        if self.observers:
            side, M = self._current
            for obs in self.observers:
                obs.on_round(self, side, M, per)

    def _mix(self, side, arrays):  # pragma: no cover - abstract
        raise NotImplementedError

    def gather(self, x: np.ndarray):
        """All rows (..., n, k) on the root process (None elsewhere). Not counted."""
        raise NotImplementedError

    def allreduce_max(self, value: float) -> float:
        """Maximum of a scalar over processes (not counted as communication)."""
        return float(value)

    def bcast(self, obj):
        """``obj`` from the root process on every process (not counted)."""
        return obj

    def check_agree(self, what: str, digest: str) -> None:
        """Raise ValueError on every process unless all processes hold the same
        ``digest`` of ``what`` (e.g. the problem's checksum). Nothing to check here."""


def __getattr__(name):
    # ``decopt.network.LocalNetwork`` stays importable; the class lives in
    # decopt/backends/local.py beside the MPI backend (imported lazily: no cycle).
    if name == "LocalNetwork":
        from .backends.local import LocalNetwork
        return LocalNetwork
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

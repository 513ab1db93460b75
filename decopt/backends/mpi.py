"""MPI backend: nodes block-partitioned over ranks, neighbourhood collectives on raw buffers.

Launch with ``python -m mpi4py`` so that an uncaught exception on any rank calls
``MPI_Abort`` and ends the whole job instead of leaving the other ranks waiting in a
collective::

    mpiexec -n 4 python -m mpi4py -m decopt run experiments/<name>.toml --backend mpi
    mpiexec -n 4 python -m mpi4py my_script.py

Placement
---------
The n nodes are split into ``size`` contiguous blocks whose sizes differ by at most one
(rank r hosts nodes ``offsets[r] .. offsets[r+1]-1``); a rank may host many nodes, and
n < size is an error (raised identically on every rank before any communication).

Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
if j -> i or j == i. Every stored off-diagonal entry M[i, j] whose nodes live on
different ranks is a rank-level edge owner(j) -> owner(i). For each side (the ``row``
matrices used by ``pull`` and the ``col`` matrices used by ``push``) one
distributed-graph communicator (``Create_dist_graph_adjacent``) is built once, over the
union of these rank edges across one period of a time-varying topology; each matrix of
the period has its own per-neighbour counts (zero where a neighbour is idle). The
communicators are cached per process by (parent communicator, rank-level graph), so the
row and column sides share one when their rank graphs coincide, and a script running
many cases over the same graph creates it only once.

Exchange
--------
All arrays of one ``pull``/``push`` call are packed column-wise into one float64 matrix
Z of shape (m, W) (a leading batch axis is folded into the columns, as in
:class:`decopt.backends.local.LocalNetwork`, by the shared
:mod:`decopt.backends.packing`), and every gossip round is a single
``Neighbor_alltoallv`` on contiguous float64 buffers:

- ``pull`` (receiver-weighted, A): each rank sends the *raw* rows its neighbour needs
  (each remote row once per receiving rank, however many of that rank's nodes use it);
  the receiver applies its own rows of A to ``[own rows; received rows]`` with one
  sparse product. The entries of each row are applied in the same order as the
  in-process product ``A @ Z``, so ``pull`` reproduces the local backend bit for bit.
- ``push`` (sender-weighted, B): each rank applies ``B[i, j]`` for its own columns j and
  sends, per remote destination node i, the sum of its weighted contributions; the
  receiver adds its own diagonal block's product and the received contributions (one
  sparse product again). Sums are grouped by rank, so results agree with the local
  backend to round-off (a few ulps), not bit for bit.

With link failures, activation or a random time-varying topology the plans are built
once on fixed patterns (the stored matrices plus their diagonal, or the generator's
support, e.g. the complete rank graph for ``random:kout``) and every round only swaps
the values (``_Plan.L_for`` / ``_Plan.out_for``); a dropped ``pull`` message is still
sent and weighted zero, a dropped ``push`` contribution is sent as zeros. Batched runs
with per-seed matrices exchange once and apply each seed's values to its columns.

Communication counters are node-level and identical to the local backend's (one
message per off-diagonal nonzero per round); :attr:`MPINetwork.floats_sent` counts the
float64 values this rank actually put on the wire (batch axis included).
"""

from __future__ import annotations

import hashlib

import numpy as np
import scipy.sparse as sp

try:
    from mpi4py import MPI
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "backend='mpi' needs mpi4py and an MPI library: pip install 'decopt[mpi]' "
        "(mpi4py plus the mpich wheel), or build mpi4py against your cluster's MPI "
        f"(see the README); the import failed with: {exc}") from exc

from ..network import Network
from .packing import layout, pack, unpack

__all__ = ["MPINetwork", "block_offsets"]

#: Distributed-graph communicators by (parent communicator, size, rank-level edges):
#: built once per process and reused by later networks over the same rank graph (a
#: script running many cases does not exhaust MPI's communicator ids).
_GRAPHS: dict = {}


_oversubscription_checked: set = set()


def oversubscription(comm) -> tuple[int, int]:
    """(ranks, cores) of the most crowded host of ``comm``: ranks sharing memory with
    each other (``COMM_TYPE_SHARED``) against that host's ``os.cpu_count()``."""
    import os
    node = comm.Split_type(MPI.COMM_TYPE_SHARED)
    try:
        local = node.Get_size()
    finally:
        node.Free()
    cores = os.cpu_count() or 1
    worst = comm.allreduce((local - cores, local, cores), op=MPI.MAX)
    return worst[1], worst[2]


def _warn_oversubscribed(comm) -> None:
    """One line on rank 0 when a host runs more ranks than it has cores (ranks then
    time-share the cores and a run is much slower than in-process); checked once per
    communicator (collective)."""
    key = (id(comm), comm.Get_size())
    if key in _oversubscription_checked:
        return
    _oversubscription_checked.add(key)
    ranks, cores = oversubscription(comm)
    if ranks > cores and comm.Get_rank() == 0:
        import sys
        print(f"decopt: warning: {ranks} MPI ranks on a host with {cores} cores; ranks "
              f"share cores, so this runs slower than fewer ranks (or the local backend)",
              file=sys.stderr, flush=True)


def block_offsets(n: int, size: int) -> np.ndarray:
    """Start of each rank's block of nodes, shape (size + 1,): contiguous blocks whose
    sizes differ by at most one, the larger ones first (empty blocks when n < size)."""
    q, r = divmod(int(n), int(size))
    counts = np.full(size, q, dtype=np.int64)
    counts[:r] += 1
    return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)


def _as_csr(M, n: int, side: str, t: int) -> sp.csr_array:
    if not sp.issparse(M):
        M = np.asarray(M, dtype=np.float64)
    M = sp.csr_array(M)
    if M.shape != (n, n):
        raise ValueError(f"{side} matrix {t} has shape {M.shape}, expected ({n}, {n}) for "
                         f"n={n} nodes")
    if M.dtype != np.float64:
        M = M.astype(np.float64)
    return M


def _digest(mats_by_side, rounds: int) -> str:
    """SHA-256 of the CSR arrays of every matrix (and of ``rounds``)."""
    h = hashlib.sha256()
    h.update(f"rounds={rounds}".encode())
    for side, mats in mats_by_side:
        h.update(f"|{side}:{'none' if mats is None else len(mats)}".encode())
        for M in mats or ():
            h.update(np.asarray(M.shape, dtype=np.int64).tobytes())
            h.update(np.ascontiguousarray(M.indptr, dtype=np.int64).tobytes())
            h.update(np.ascontiguousarray(M.indices, dtype=np.int64).tobytes())
            h.update(np.ascontiguousarray(M.data, dtype=np.float64).tobytes())
    return h.hexdigest()


class _Plan:
    """Exchange of one matrix of one side, seen from this rank.

    Attributes
    ----------
    send_rows : (size_dest,) int array, rows per destination rank (union order)
    recv_rows : (size_src,) int array, rows per source rank (union order)
    send_idx : local row indices to send (pull only)
    out : csr_array (sum(send_rows), m), the weighted contributions to send (push only)
    L : csr_array (m, m + sum(recv_rows)), the local product on ``[own rows; received]``
    """

    __slots__ = ("send_rows", "recv_rows", "send_idx", "out", "L", "nrecv", "nsend",
                 "_counts", "L_idx", "out_idx")

    def L_for(self, values):
        """``L`` with the values of the round's matrix (``values`` on the pattern the
        plan was built on); the plan's own L is overwritten (dynamic path only)."""
        data = values[self.L_idx]
        if self.out is not None:                   # push: received contributions
            data[self.L_idx < 0] = 1.0
        self.L.data = data
        return self.L

    def out_for(self, values):
        """``out`` (push) with the values of the round's matrix (overwritten in place)."""
        self.out.data = values[self.out_idx]
        return self.out

    def counts(self, width: int):
        c = self._counts.get(width)
        if c is None:
            sc = self.send_rows * width
            rc = self.recv_rows * width
            sd = np.concatenate([[0], np.cumsum(sc)])[:-1].astype(np.int64)
            rd = np.concatenate([[0], np.cumsum(rc)])[:-1].astype(np.int64)
            c = self._counts[width] = (sc, sd, rc, rd)
        return c


class MPINetwork(Network):
    """The MPI backend of :class:`decopt.network.Network` (see the module docstring).

    Parameters
    ----------
    n : int
        Number of nodes in the whole network (n >= number of ranks).
    row, col : list of matrices or None
        One period of the row-stochastic (``pull``) and column-stochastic (``push``)
        matrices, the same on every rank (checked). Receiver-first: M[i, j] > 0 only if
        j -> i or j == i.
    rounds : int
        Gossip rounds R per mixing call.
    comm : mpi4py.MPI.Comm or None
        Default ``MPI.COMM_WORLD``.
    **options
        ``participation``, ``link_failure``, ``activation``, ``seeds``, ``generator`` of
        :class:`decopt.network.Network`. With link failures, activation or a generator
        the plans are built once on fixed patterns (the stored matrices with their
        diagonal, or the generator's support: the complete rank graph for
        ``random:kout``) and each round only changes the values applied (see
        :mod:`decopt.links`).

    Attributes
    ----------
    comm, rank, size : the communicator, this rank, the number of ranks
    offsets : (size + 1,) int array, the block partition of the nodes
    floats_sent : int
        Float64 values this rank sent in ``pull``/``push`` (batch axis included).
    """

    def __init__(self, n, row=None, col=None, rounds=1, comm=None, **options):
        comm = MPI.COMM_WORLD if comm is None else comm
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        _warn_oversubscribed(comm)
        n = int(n)
        # n < size: the ranks past the n-th host no node and only take part in the
        # collectives (empty blocks), so a study whose runs range over n = 1 .. 512 runs
        # in one mpiexec job with the same numbers as in-process
        # (tests/mpi/test_mpi_faults.py::test_fewer_nodes_than_ranks)
        self.offsets = block_offsets(n, self.size)
        lo, hi = int(self.offsets[self.rank]), int(self.offsets[self.rank + 1])
        row = None if row is None else [_as_csr(M, n, "row", t) for t, M in enumerate(row)]
        col = None if col is None else [_as_csr(M, n, "col", t) for t, M in enumerate(col)]
        for side, mats in (("row", row), ("col", col)):
            if mats is not None and not mats:
                raise ValueError(f"{side} is an empty list; give at least one matrix")
        super().__init__(n, np.arange(lo, hi), row=row, col=col, rounds=rounds, **options)
        self.lo, self.hi = lo, hi
        self.floats_sent = 0
        # Every rank must hold the same matrices before any exchange.
        gen = self.generator
        self.check_agree("mixing matrices", _digest((("row", row), ("col", col)), self.rounds)
                         + f"|{self.link_failure!r}|{self.activation!r}|{self.seeds}|"
                         + (gen.spec if gen is not None else ""))
        owner = np.repeat(np.arange(self.size), np.diff(self.offsets))
        self._graph, self._plans, self._bufs = {}, {}, {}
        for side, mats in (("row", self.row), ("col", self.col)):
            if mats is None:
                continue
            sources, dests, graph = self._dist_graph(mats, owner)
            self._graph[side] = graph
            build = self._pull_plan if side == "row" else self._push_plan
            self._plans[side] = [build(M, owner, sources, dests) for M in mats]

    # ------------------------------------------------------------ topology
    def _entries(self, M, owner):
        rows = np.repeat(np.arange(self.n), np.diff(M.indptr))
        cols = M.indices.astype(np.int64)
        return rows, cols, owner[rows], owner[cols]

    def _dist_graph(self, mats, owner):
        """Source and destination ranks of this rank (union over the period) and the
        distributed-graph communicator over the rank-level graph.

        Every rank computes the whole rank-level graph (the matrices agree), so the
        cache lookup below takes the same branch on every rank and communicators are
        created collectively, once per (communicator, rank graph) per process.
        """
        edges = []
        for M in mats:
            rows, cols, ro, co = self._entries(M, owner)
            cross = ro != co
            edges.append(co[cross] * self.size + ro[cross])
        e = np.unique(np.concatenate(edges))
        src, dst = e // self.size, e % self.size
        sources = np.unique(src[dst == self.rank])
        dests = np.unique(dst[src == self.rank])
        key = (self.comm.py2f(), self.size, e.tobytes())
        graph = _GRAPHS.get(key)
        if graph is None:
            graph = _GRAPHS[key] = self.comm.Create_dist_graph_adjacent(
                sources.tolist(), dests.tolist(), reorder=False)
        return sources, dests, graph

    @staticmethod
    def _per_rank(ranks_of_rows, neighbours):
        """Rows per neighbour rank (in the communicator's neighbour order)."""
        counts = np.zeros(len(neighbours), dtype=np.int64)
        if len(ranks_of_rows):
            pos = np.searchsorted(neighbours, ranks_of_rows)
            np.add.at(counts, pos, 1)
        return counts

    def _pull_plan(self, M, owner, sources, dests):
        """Receiver-weighted: send raw rows, apply own rows of M to [own; received]."""
        rows, cols, ro, co = self._entries(M, owner)
        cross = ro != co
        p = _Plan()
        p._counts = {}
        # what I receive: each remote column used by my rows, once, sorted by node id
        # (hence grouped by owner in ascending rank order)
        recv_nodes = np.unique(cols[cross & (ro == self.rank)])
        p.recv_rows = self._per_rank(owner[recv_nodes], sources)
        # what I send: for each destination rank, my nodes its rows use, sorted
        out = cross & (co == self.rank)
        key = np.unique(ro[out] * self.n + cols[out])
        p.send_idx = (key % self.n - self.lo).astype(np.intp)
        p.send_rows = self._per_rank(key // self.n, dests)
        p.nsend, p.nrecv = len(p.send_idx), len(recv_nodes)
        # own rows of M with columns renumbered into [own rows; received rows]; the
        # entry order of every row is kept, so the product sums exactly as M @ Z does
        colmap = np.full(self.n, -1, dtype=np.int64)
        colmap[self.lo:self.hi] = np.arange(self.m)
        colmap[recv_nodes] = self.m + np.arange(len(recv_nodes))
        a, b = M.indptr[self.lo], M.indptr[self.hi]
        p.L = sp.csr_array((M.data[a:b], colmap[M.indices[a:b]],
                            (M.indptr[self.lo:self.hi + 1] - a)),
                           shape=(self.m, self.m + p.nrecv))
        p.L_idx = np.arange(a, b)                   # entries of M behind p.L.data
        p.out, p.out_idx = None, None
        return p

    def _push_plan(self, M, owner, sources, dests):
        """Sender-weighted: send weighted contributions per remote node, receiver sums."""
        rows, cols, ro, co = self._entries(M, owner)
        cross = ro != co
        p = _Plan()
        p._counts = {}
        # what I send: one contribution row per remote destination node i, sorted by i
        out = cross & (co == self.rank)
        dest_nodes = np.unique(rows[out])
        p.send_rows = self._per_rank(owner[dest_nodes], dests)
        # CSR built directly (entries of M in CSR order, grouped by destination row) so
        # that p.out_idx records which entry of M each stored value is
        e_out = np.flatnonzero(out)
        r_out = np.searchsorted(dest_nodes, rows[e_out])
        o = np.argsort(r_out, kind="stable")
        p.out_idx = e_out[o]
        p.out = sp.csr_array(
            (M.data[p.out_idx], cols[p.out_idx] - self.lo,
             np.concatenate([[0], np.cumsum(np.bincount(r_out, minlength=len(dest_nodes)))])),
            shape=(len(dest_nodes), self.m))
        p.send_idx = None
        # what I receive: per source rank, one row per node of mine it contributes to
        inn = cross & (ro == self.rank)
        key = np.unique(co[inn] * self.n + rows[inn])
        p.recv_rows = self._per_rank(key // self.n, sources)
        p.nsend, p.nrecv = len(dest_nodes), len(key)
        # local product: own block of my rows (in CSR order), then the contributions
        own = (ro == self.rank) & (co == self.rank)
        r_own, c_own, v_own = rows[own] - self.lo, cols[own] - self.lo, M.data[own]
        r_in = key % self.n - self.lo
        c_in = self.m + np.arange(len(key))
        r = np.concatenate([r_own, r_in])
        order = np.argsort(r, kind="stable")
        indptr = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=self.m))])
        p.L = sp.csr_array((np.concatenate([v_own, np.ones(len(key))])[order],
                            np.concatenate([c_own, c_in])[order], indptr),
                           shape=(self.m, self.m + p.nrecv))
        # entries of M behind p.L.data (-1: a received contribution, weight 1)
        p.L_idx = np.concatenate([np.flatnonzero(own), -np.ones(len(key), dtype=np.int64)])[order]
        return p

    # ------------------------------------------------------------ exchange
    @property
    def is_root(self) -> bool:
        return self.rank == 0

    def _buffers(self, side, t, width):
        """Preallocated ``ext`` (m + nrecv, W) and pull send buffer (nsend, W)."""
        key = (side, t, width)
        b = self._bufs.get(key)
        if b is None:
            p = self._plans[side][t]
            ext = np.empty((self.m + p.nrecv, width))
            send = np.empty((p.nsend, width)) if p.send_idx is not None else None
            b = self._bufs[key] = (ext, send)
        return b

    def _mix(self, side, arrays):
        m = self.m
        seed_cols = None
        if self.dynamic:
            arrays, seed_cols = self._batch(arrays)
        shapes, widths, width = layout("pull" if side == "row" else "push", arrays, m)
        W = sum(widths)
        Z = None
        for r in range(self.rounds):
            t, mats, edges = self._round(side, r)   # raises if this side is missing;
            # mats: None or one value vector per seed on plan t's pattern
            p = self._plans[side][t]
            ext, send = self._buffers(side, t, W)
            own = ext[:m]
            if Z is None:                           # pack all arrays into one message
                pack(arrays, shapes, widths, out=own)
            else:
                own[...] = Z
            if p.send_idx is not None:              # pull: raw rows (dropped ones too)
                np.take(own, p.send_idx, axis=0, out=send)
            elif mats is None:                      # push: weighted contributions
                send = np.ascontiguousarray(p.out @ own)
            elif len(mats) == 1:                    # dropped links contribute zeros
                send = np.ascontiguousarray(p.out_for(mats[0]) @ own)
            else:
                send = np.empty((p.nsend, W))
                for M, cs in zip(mats, seed_cols):
                    send[:, cs] = p.out_for(M) @ own[:, cs]
            if self.size > 1 and W > 0:
                sc, sd, rc, rd = p.counts(W)
                self._graph[side].Neighbor_alltoallv(
                    [send, (sc, sd), MPI.DOUBLE], [ext[m:], (rc, rd), MPI.DOUBLE])
                self.floats_sent += p.nsend * W
            if mats is None:
                Z = p.L @ ext
            elif len(mats) == 1:
                Z = p.L_for(mats[0]) @ ext
            else:
                Z = np.empty((m, W))
                for M, cs in zip(mats, seed_cols):
                    Z[:, cs] = p.L_for(M) @ ext[:, cs]
            self._count(edges, width)
        return unpack(Z, shapes, widths)

    # ------------------------------------------------------------ collectives
    def gather(self, x):
        """All rows (..., n, k) on rank 0 (None elsewhere), one ``Gatherv``. Not counted."""
        x = np.asarray(x)
        axis = -2 if x.ndim >= 2 else 0
        if x.dtype != np.float64:                   # rare: not a float64 state field
            parts = self.comm.gather(x, root=0)
            return np.concatenate(parts, axis=axis) if self.is_root else None
        send = np.ascontiguousarray(np.moveaxis(x, axis, 0))
        rest = send.shape[1:]
        per_row = int(np.prod(rest, dtype=np.int64))
        if self.size == 1:
            return np.moveaxis(send.copy(), 0, axis)
        if self.is_root:
            recv = np.empty((self.n,) + rest)
            counts = np.diff(self.offsets) * per_row
            displs = self.offsets[:-1] * per_row
            self.comm.Gatherv(send, [recv, (counts, displs), MPI.DOUBLE], root=0)
            return np.moveaxis(recv, 0, axis)
        self.comm.Gatherv(send, None, root=0)
        return None

    def _allreduce_sum(self, buf):
        """``net.average``'s server: one ``Allreduce`` (SUM) of the masked partial sums
        and counts, on a contiguous float64 buffer."""
        send = np.ascontiguousarray(buf, dtype=np.float64)
        if self.size == 1:
            return send
        recv = np.empty_like(send)
        self.comm.Allreduce(send, recv, op=MPI.SUM)
        return recv

    def allreduce_max(self, value: float) -> float:
        return float(self.comm.allreduce(float(value), op=MPI.MAX))

    def bcast(self, obj):
        return self.comm.bcast(obj, root=0)

    def check_agree(self, what: str, digest: str) -> None:
        """Allgather ``digest``; unless all ranks hold the same one, raise ValueError on
        every rank naming ``what`` and the ranks that disagree (with rank 0, or with the
        largest group of ranks that agree)."""
        digests = self.comm.allgather(str(digest))
        if len(set(digests)) == 1:
            return
        groups: dict[str, list[int]] = {}
        for r, d in enumerate(digests):
            groups.setdefault(d, []).append(r)
        ref = max(groups.values(), key=lambda g: (len(g), -g[0]))
        bad = [r for r in range(len(digests)) if r not in ref]
        detail = "; ".join(f"ranks {g} have {d[:12]}" for d, g in groups.items())
        raise ValueError(
            f"MPI ranks disagree on the {what}: rank(s) {bad} differ from rank(s) {ref} "
            f"({detail}); every rank must build the same {what} (check that seeds, "
            f"parameters and data files do not depend on the rank)")

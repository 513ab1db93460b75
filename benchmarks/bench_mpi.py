"""MPI backend benchmark: decopt vs a bare mpi4py loop vs pickled point-to-point.

    mpiexec -n 2 python -m mpi4py benchmarks/bench_mpi.py
    mpiexec -n 4 python -m mpi4py benchmarks/bench_mpi.py [--quick] [--sizes 64x100,256x100,1024x100]

For push_pull and pull_diag_gt on the static exponential graph (uniform weights) and a
quadratic problem, four implementations of the same recursion run the same number of
iterations from the same start:

- ``decopt``: the algorithm objects stepping over :class:`decopt.backends.mpi.MPINetwork`
  with an :class:`decopt.oracle.Oracle` (what ``decopt.run`` does between logs);
- ``bare``: a hand-written mpi4py loop with its own distributed-graph communicator,
  the same ``Neighbor_alltoallv`` exchange (raw rows for pull, weighted contributions per
  destination node for push) and the same local arithmetic, no abstraction at all;
- ``pickle/edge``: ``comm.isend`` of a pickled numpy row per node-level edge that crosses
  ranks (one agent per process, as older libraries do, here with several agents per rank);
- ``pickle/rank``: ``comm.isend`` of one pickled dict of rows per neighbour rank.

Reported per iteration: the best of the repetitions (each timed as the slowest rank;
decopt and bare alternate), the ratio decopt / bare of these best times (target <= 1.3), the speedup of decopt over each pickled
baseline, and bytes: what the recursion needs at node level (one vector per directed
edge, the ``floats`` counter), the rank-level minimum (each remote row once per
receiving rank for pull; one summed contribution per destination node and sending rank
for push), what decopt put on the wire, and what the pickled baselines sent. All
implementations must end at the same iterates (checked).
"""

from __future__ import annotations

import argparse
import pickle
import time

import numpy as np
import scipy.sparse as sp
from mpi4py import MPI

import decopt
import topologies as tp
from decopt.algorithms import PullDiagGT, PushPull
from decopt.backends.mpi import MPINetwork, block_offsets
from decopt.oracle import Oracle

COMM = MPI.COMM_WORLD
RANK, SIZE = COMM.Get_rank(), COMM.Get_size()


# ----------------------------------------------------------------- exchanges
class Exchange:
    """Mixing of this rank's rows Z (m, W): ``pull`` (receiver-weighted A) and ``push``
    (sender-weighted B)."""

    def __init__(self, A, B):
        n = A.shape[0]
        self.n = n
        self.offsets = block_offsets(n, SIZE)
        self.lo, self.hi = int(self.offsets[RANK]), int(self.offsets[RANK + 1])
        self.m = self.hi - self.lo
        self.owner = np.repeat(np.arange(SIZE), np.diff(self.offsets))
        self.A, self.B = A, B
        self.floats = 0
        self.bytes = 0


class Bare(Exchange):
    """Neighbourhood collective on float64 buffers, written out by hand."""

    def __init__(self, A, B):
        super().__init__(A, B)
        lo, hi, own = self.lo, self.hi, self.owner
        Acoo, Bcoo = A.tocoo(), B.tocoo()
        # pull: remote columns my rows use / my nodes other ranks' rows use
        need = {}                                   # source rank -> set of nodes
        give = {}                                   # dest rank -> set of my nodes
        for i, j in zip(Acoo.row, Acoo.col):
            ri, rj = own[i], own[j]
            if ri == rj:
                continue
            if ri == RANK:
                need.setdefault(rj, set()).add(j)
            if rj == RANK:
                give.setdefault(ri, set()).add(j)
        # push: destination nodes of my columns / contributions I receive
        dest = {}                                   # dest rank -> set of nodes i
        gets = {}                                   # source rank -> set of my nodes i
        for i, j in zip(Bcoo.row, Bcoo.col):
            ri, rj = own[i], own[j]
            if ri == rj:
                continue
            if rj == RANK:
                dest.setdefault(ri, set()).add(i)
            if ri == RANK:
                gets.setdefault(rj, set()).add(i)
        srcs = sorted(set(need) | set(gets))
        dsts = sorted(set(give) | set(dest))
        self.graph = COMM.Create_dist_graph_adjacent(srcs, dsts, reorder=False)
        # pull plan
        recv_nodes = [j for s in srcs for j in sorted(need.get(s, ()))]
        self.pull_rc = np.array([len(need.get(s, ())) for s in srcs], dtype=np.int64)
        self.pull_sc = np.array([len(give.get(r, ())) for r in dsts], dtype=np.int64)
        self.pull_send = np.array([j - lo for r in dsts for j in sorted(give.get(r, ()))],
                                  dtype=np.intp)
        colmap = np.full(self.n, -1)
        colmap[lo:hi] = np.arange(self.m)
        colmap[recv_nodes] = self.m + np.arange(len(recv_nodes))
        Ar = A[lo:hi]
        self.pull_L = sp.csr_array((Ar.data, colmap[Ar.indices], Ar.indptr),
                                   shape=(self.m, self.m + len(recv_nodes)))
        # push plan
        out_nodes = [i for r in dsts for i in sorted(dest.get(r, ()))]
        self.push_sc = np.array([len(dest.get(r, ())) for r in dsts], dtype=np.int64)
        self.push_rc = np.array([len(gets.get(s, ())) for s in srcs], dtype=np.int64)
        self.push_out = sp.csr_array(B[out_nodes][:, lo:hi]) if out_nodes else \
            sp.csr_array((0, self.m))
        in_rows = [i - lo for s in srcs for i in sorted(gets.get(s, ()))]
        S = sp.csr_array((np.ones(len(in_rows)), (in_rows, np.arange(len(in_rows)))),
                         shape=(self.m, len(in_rows)))
        self.push_L = sp.hstack([B[lo:hi][:, lo:hi], S], format="csr")
        self._c = {}

    def _counts(self, sc, rc, W):
        key = (id(sc), W)
        if key not in self._c:
            s, r = sc * W, rc * W
            self._c[key] = (s, np.r_[0, np.cumsum(s)][:-1], r, np.r_[0, np.cumsum(r)][:-1])
        return self._c[key]

    def pull(self, Z):
        m, W = Z.shape
        ext = np.empty((m + int(self.pull_rc.sum()), W))
        ext[:m] = Z
        send = Z[self.pull_send]
        s, sd, r, rd = self._counts(self.pull_sc, self.pull_rc, W)
        self.graph.Neighbor_alltoallv([send, (s, sd), MPI.DOUBLE],
                                      [ext[m:], (r, rd), MPI.DOUBLE])
        self.floats += send.size
        return self.pull_L @ ext

    def push(self, Z):
        m, W = Z.shape
        ext = np.empty((m + int(self.push_rc.sum()), W))
        ext[:m] = Z
        send = np.ascontiguousarray(self.push_out @ Z)
        s, sd, r, rd = self._counts(self.push_sc, self.push_rc, W)
        self.graph.Neighbor_alltoallv([send, (s, sd), MPI.DOUBLE],
                                      [ext[m:], (r, rd), MPI.DOUBLE])
        self.floats += send.size
        return self.push_L @ ext


class Pickled(Exchange):
    """``comm.isend`` of pickled numpy arrays; receivers ``comm.recv`` them.

    granularity "edge": one message per node-level edge j -> i crossing ranks (the raw
    row z_j for pull, the weighted B[i, j] z_j for push); "rank": one message per
    neighbour rank holding a dict of such rows.
    """

    def __init__(self, A, B, granularity):
        super().__init__(A, B)
        self.gran = granularity
        own = self.owner
        self.plans = {}
        for name, M in (("pull", A), ("push", B)):
            C = M.tocoo()
            cross = own[C.row] != own[C.col]
            out = cross & (own[C.col] == RANK)
            inn = cross & (own[C.row] == RANK)
            self.plans[name] = (C.row[out], C.col[out], C.data[out],
                                C.row[inn], C.col[inn], C.data[inn])
        self.Aloc = A[self.lo:self.hi]
        self.Bloc = B[self.lo:self.hi]

    def _exchange(self, name, Z):
        lo = self.lo
        si, sj, sv, ri, rj, rv = self.plans[name]
        own = self.owner
        reqs = []
        if self.gran == "edge":
            for i, j, v in zip(si, sj, sv):
                payload = Z[j - lo] if name == "pull" else v * Z[j - lo]
                reqs.append(COMM.isend(payload, dest=int(own[i]), tag=int(i) * self.n + int(j)))
                self.bytes += len(pickle.dumps(payload, pickle.HIGHEST_PROTOCOL)) \
                    if self.count_bytes else 0
            got = {(int(i), int(j)): COMM.recv(source=int(own[j]), tag=int(i) * self.n + int(j))
                   for i, j in zip(ri, rj)}
        else:
            per = {}
            for i, j, v in zip(si, sj, sv):
                per.setdefault(int(own[i]), {})[(int(i), int(j))] = (
                    Z[j - lo] if name == "pull" else v * Z[j - lo])
            for r, d in per.items():
                reqs.append(COMM.isend(d, dest=r, tag=7))
                self.bytes += len(pickle.dumps(d, pickle.HIGHEST_PROTOCOL)) \
                    if self.count_bytes else 0
            got = {}
            for r in sorted(set(int(own[j]) for j in rj)):
                got.update(COMM.recv(source=r, tag=7))
        MPI.Request.waitall(reqs)
        return got

    count_bytes = False

    def pull(self, Z):
        got = self._exchange("pull", Z)
        # receiver applies its rows of A: own columns from Z, remote ones received
        out = np.zeros_like(Z)
        A = self.Aloc
        for r in range(self.m):
            i = self.lo + r
            for k in range(A.indptr[r], A.indptr[r + 1]):
                j = A.indices[k]
                zj = Z[j - self.lo] if self.lo <= j < self.hi else got[(i, int(j))]
                out[r] += A.data[k] * zj
        return out

    def push(self, Z):
        got = self._exchange("push", Z)
        out = np.zeros_like(Z)
        B = self.Bloc
        for r in range(self.m):
            i = self.lo + r
            for k in range(B.indptr[r], B.indptr[r + 1]):
                j = B.indices[k]
                if self.lo <= j < self.hi:
                    out[r] += B.data[k] * Z[j - self.lo]
                else:
                    out[r] += got[(i, int(j))]          # already weighted by the sender
        return out


# ----------------------------------------------------------------- recursions
def push_pull_loop(ex, grads, x, alpha, steps):
    """Push-Pull, ATC: x+ = A (x - a y); y+ = B y + g(x+) - g(x)."""
    g = grads(x)
    y = g
    for _ in range(steps):
        x = ex.pull(x - alpha * y)
        gn = grads(x)
        y = ex.push(y) + gn - g
        g = gn
    return x


def pull_diag_gt_loop(ex, grads, x, alpha, steps):
    """Pull-Diag-GT: [x, v]+ = A [x - a y, v]; y+ = A (y + D+^-1 g+ - D^-1 g)."""
    m, d = x.shape
    v = np.zeros((m, ex.n))
    v[np.arange(m), ex.lo + np.arange(m)] = 1.0
    g = grads(x)
    y = dg = g
    for _ in range(steps):
        Z = ex.pull(np.hstack([x - alpha * y, v]))
        x, v = Z[:, :d], Z[:, d:]
        gn = grads(x)
        dgn = gn / v[np.arange(m), ex.lo + np.arange(m)][:, None]
        y = ex.pull(y + dgn - dg)
        dg = dgn
    return x


def decopt_loop(alg, net, oracle, x, steps):
    state = alg.init(x, oracle, net)
    for k in range(steps):
        net.set_step(k)
        state = alg.step(state, oracle, net)
    return state.x


# ----------------------------------------------------------------- driver
def timed(fn, reps):
    """Best over ``reps`` of the slowest rank's time for ``fn()``; last output."""
    times, out = [], None
    for _ in range(reps):
        COMM.Barrier()
        t0 = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t0
        times.append(COMM.allreduce(dt, op=MPI.MAX))
    return float(min(times)), out


def rank_level_need(M, offsets, width):
    """Floats a rank-level exchange must move per round (pull: raw rows; push: sums)."""
    own = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    C = M.tocoo()
    cross = own[C.row] != own[C.col]
    pull = len(set(zip(C.col[cross], own[C.row[cross]])))
    push = len(set(zip(C.row[cross], own[C.col[cross]])))
    return pull * width, push * width


def bench(n, d, steps, reps, pickled_steps):
    prob = decopt.problems.quadratic(n=n, dim=d, heterogeneity=1.0, seed=0)
    G = tp.exponential(n)
    A, B = tp.row_stochastic(G), tp.column_stochastic(G)
    offsets = block_offsets(n, SIZE)
    lo, hi = int(offsets[RANK]), int(offsets[RANK + 1])
    nodes = np.arange(lo, hi)
    x0 = np.zeros((hi - lo, d))
    grads = lambda X: prob.grads(nodes, X)                            # noqa: E731
    rows = []
    for name in ("push_pull", "pull_diag_gt"):
        alpha = 0.1 / prob.L if name == "push_pull" else 0.3 / (n * prob.L)
        alg = PushPull(alpha) if name == "push_pull" else PullDiagGT(alpha)
        loop = push_pull_loop if name == "push_pull" else pull_diag_gt_loop
        net = MPINetwork(n, row=[A], col=[B] if name == "push_pull" else None)
        oracle = Oracle(prob, net.nodes, [0])
        bare = Bare(A, B)
        # warm up (buffers, caches), then interleave the two implementations
        decopt_loop(alg, net, oracle, x0, 5)
        loop(bare, grads, x0, alpha, 5)
        # repetitions alternate the order of the two; the best repetition of each is
        # the least disturbed by other jobs on the machine
        t_dec, t_bare = [], []
        for rep in range(reps):
            for which in ((0, 1) if rep % 2 == 0 else (1, 0)):
                if which == 0:
                    t, x_dec = timed(lambda: decopt_loop(alg, net, oracle, x0, steps), 1)
                    t_dec.append(t)
                else:
                    t, x_bare = timed(lambda: loop(bare, grads, x0, alpha, steps), 1)
                    t_bare.append(t)
        ratio = float(min(t_dec) / min(t_bare))
        t_dec, t_bare = min(t_dec) / steps, min(t_bare) / steps
        # bytes per iteration
        net2 = MPINetwork(n, row=[A], col=[B] if name == "push_pull" else None)
        x_chk = decopt_loop(alg, net2, Oracle(prob, net2.nodes, [0]), x0, steps)
        sent_dec = COMM.allreduce(net2.floats_sent) * 8 / steps
        node_level = net2.counters.floats * 8 / steps
        if name == "push_pull":
            need = rank_level_need(A, offsets, d)[0] + rank_level_need(B, offsets, d)[1]
        else:
            need = rank_level_need(A, offsets, d + n)[0] + rank_level_need(A, offsets, d)[0]
        need *= 8
        res = {"n": n, "d": d, "algorithm": name, "decopt": t_dec, "bare": t_bare,
               "ratio": ratio,
               "node_bytes": node_level, "need_bytes": need, "decopt_bytes": sent_dec}
        diffs = [np.abs(x_dec - x_bare).max(), np.abs(x_chk - x_dec).max()]
        for gran in ("edge", "rank"):
            pk = Pickled(A, B, gran)
            t, x_pk = timed(lambda: loop(pk, grads, x0, alpha, pickled_steps), reps)
            res[f"pickle_{gran}"] = t / pickled_steps
            pk.count_bytes = True
            loop(pk, grads, x0, alpha, 1)
            res[f"pickle_{gran}_bytes"] = COMM.allreduce(pk.bytes) - 0.0
            # one iteration counted: bytes per iteration
            x_ref = loop(bare, grads, x0, alpha, pickled_steps)
            diffs.append(np.abs(x_pk - x_ref).max())
        res["max_diff"] = COMM.allreduce(float(max(diffs)), op=MPI.MAX)
        rows.append(res)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="64x100,256x100,1024x100",
                    help="comma-separated NxD (nodes x dimension)")
    ap.add_argument("--steps", type=int, default=100, help="iterations per timing")
    ap.add_argument("--reps", type=int, default=9, help="timed repetitions (best is reported)")
    ap.add_argument("--quick", action="store_true", help="few steps, for a smoke test")
    args = ap.parse_args()
    steps, reps = (10, 2) if args.quick else (args.steps, args.reps)
    rows = []
    for spec in args.sizes.split(","):
        n, d = (int(v) for v in spec.lower().split("x"))
        rows += bench(n, d, steps, reps, max(2, steps // 10))
    if RANK == 0:
        print(f"\nMPI backend, {SIZE} ranks, exponential graph, quadratic problem, "
              f"{steps} iterations x {reps} repetitions (best; per iteration)")
        head = (f"{'n':>4} {'d':>4} {'algorithm':<13} {'decopt ms':>9} {'bare ms':>8} "
                f"{'ratio':>5} {'pkl/edge ms':>11} {'speedup':>7} {'pkl/rank ms':>11} "
                f"{'speedup':>7} | {'node kB':>8} {'need kB':>8} {'decopt kB':>9} "
                f"{'pkl/edge kB':>11} {'pkl/rank kB':>11} {'max diff':>8}")
        print(head)
        print("-" * len(head))
        for r in rows:
            print(f"{r['n']:>4} {r['d']:>4} {r['algorithm']:<13} {1e3 * r['decopt']:9.3f} "
                  f"{1e3 * r['bare']:8.3f} {r['ratio']:5.2f} "
                  f"{1e3 * r['pickle_edge']:11.3f} {r['pickle_edge'] / r['decopt']:6.1f}x "
                  f"{1e3 * r['pickle_rank']:11.3f} {r['pickle_rank'] / r['decopt']:6.1f}x | "
                  f"{r['node_bytes'] / 1e3:8.1f} {r['need_bytes'] / 1e3:8.1f} "
                  f"{r['decopt_bytes'] / 1e3:9.1f} {r['pickle_edge_bytes'] / 1e3:11.1f} "
                  f"{r['pickle_rank_bytes'] / 1e3:11.1f} {r['max_diff']:8.1e}")


if __name__ == "__main__":
    main()

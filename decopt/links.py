"""Unreliable links and random node activation: a per-round transformation of a matrix.

Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
if j -> i or j == i.

Model (applied by :class:`decopt.network.Network` to the matrix of every gossip round,
on both backends, before mixing):

- **Link failures** (``link_failure=p``): every directed link j -> i (j != i, M[i, j] > 0)
  drops independently with probability p in each gossip round. The draw of link
  (j, i) in global gossip round c (the network's ``counters.rounds`` before the round:
  0, 1, 2, ... over all ``pull``/``push`` calls and their R repetitions) is
  ``streams.uniform(seed, "link_failure", c, [j * n + i], 1) < p``: a pure function of
  (seed, c, j, i), hence independent of how nodes are placed on MPI ranks.
- **Activation** (``activation=q``): in iteration k node i is awake iff
  ``streams.uniform(seed, "activation", k, [i], 1) < q`` (one draw per node and
  iteration, shared by every round of the iteration). A sleeping node neither sends nor
  receives: every link into or out of it counts as dropped, and its row and column of
  the round's matrix become e_i. The runner then restores the sleeping nodes' rows of
  the algorithm's state (:meth:`decopt.network.Network.hold_sleeping`).

What the receiver or sender does with a missing message:

- ``pull`` (row-stochastic A, receiver-weighted): receiver i re-normalises its row over
  what arrived, ``A'[i, j] = A[i, j] / sum_{l live} A[i, l]`` (its own entry always
  "arrives"). Rows stay stochastic; columns and hence the Perron vector change every
  round (a node whose messages are lost has less influence that round). The network
  attribute ``pull_rule = "self"`` (not a run option) instead puts the weight of a
  missing message on the receiver's own entry: with symmetric drops (sleeping nodes)
  a symmetric doubly stochastic W then stays doubly stochastic, and GT /
  Exact-Diffusion stay exact under random activation (measured; not under independent
  link drops, which are asymmetric).
- ``push`` (column-stochastic B, sender-weighted): the *acknowledged* model. The sender
  learns (an acknowledgement that did not come) that the mass ``B[i, j] y_j`` it meant
  for i was not delivered and keeps it: ``B'[j, j] = B[j, j] + sum_{i dropped} B[i, j]``.
  Columns stay stochastic, so ``1^T B' y = 1^T y`` exactly: mass is conserved in every
  round, and the tracking invariant ``1^T Y^k = 1^T g^k`` of Push-Pull and Push-DIGing
  holds under failures (up to round-off). This differs from the running-sum robust
  push-sum of Hadjicostis, Dominguez-Garcia and Vaidya ("Robust distributed average
  consensus via exchange of running sums", IEEE TAC 2016, doi:10.1109/TAC.2015.2471695),
  where senders transmit cumulative sums and receivers difference consecutive arrivals,
  so mass in flight is delivered late rather than kept; that model needs no
  acknowledgement but keeps per-link state, and its in-flight mass makes ``1^T y`` over
  the nodes differ from the conserved total until delivery (not implemented here).
  ``vanish=True`` (a negative control only) drops the mass instead: columns then sum to
  less than one and the invariant breaks.

Which methods stay exact with deterministic gradients (measured in
``tests/communication/test_links_conformance.py``): Push-Pull, AB and Push-DIGing (their
push side conserves mass; the time-varying theory of Saadatniaki, Xin, Khan,
arXiv:1810.07393, and of Nedic, Olshevsky, Shi, SIAM J. Optim. 2017, applies). GT,
Exact-Diffusion, FROST and Pull-Diag-GT do not: a re-normalised W is only
row-stochastic, and the diagonal correction of Pull-Diag-GT / FROST converges to the
Perron vector of the first rounds' product while the tracking invariant needs the
current round's, which changes every round.

Counters count only delivered messages (live off-diagonal links). Under MPI a dropped
``pull`` message is still sent (raw rows) and weighted zero by the receiver, and a
dropped ``push`` contribution is sent as zeros: the numbers equal the in-process ones.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from . import streams

SIDES = ("row", "col")


def check_probability(name: str, value, *, low_open: bool, high_open: bool) -> float:
    """``value`` as a float in the interval given by the flags, else TypeError/ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    v = float(value)
    lo = "(" if low_open else "["
    hi = ")" if high_open else "]"
    ok = np.isfinite(v) and (v > 0 if low_open else v >= 0) and (v < 1 if high_open else v <= 1)
    if not ok:
        raise ValueError(f"{name} must be a probability in {lo}0, 1{hi}, got {value!r}")
    return v


def structured(M) -> sp.csr_array:
    """``M`` as a canonical CSR matrix whose pattern includes the whole diagonal (explicit
    zeros where M has none), so that a transformation only changes values."""
    C = sp.coo_array(sp.csr_array(M, dtype=np.float64))
    n = C.shape[0]
    i = np.arange(n)
    out = sp.csr_array((np.concatenate([C.data, np.zeros(n)]),
                        (np.concatenate([C.row, i]), np.concatenate([C.col, i]))),
                       shape=C.shape)
    out.sum_duplicates()           # keeps explicit zeros (unlike M + Z, which prunes)
    out.sort_indices()
    return out


def delivered(M) -> int:
    """Off-diagonal nonzeros of M: the messages one round over M sends."""
    rows = np.repeat(np.arange(M.shape[0]), np.diff(M.indptr))
    return int(np.count_nonzero((M.data != 0) & (rows != M.indices)))


def awake(seed, k: int, n: int, q: float) -> np.ndarray:
    """Which of the n nodes are awake in iteration k (bool, shape (n,))."""
    if q >= 1.0:
        return np.ones(n, dtype=bool)
    return streams.uniform(seed, "activation", k, np.arange(n), 1)[:, 0] < q


def transform(M, side: str, *, p: float, seed, round_index: int, awake_mask=None,
              vanish: bool = False, pull_rule: str = "renormalise"):
    """The matrix of one gossip round under link failures and activation.

    Parameters
    ----------
    M : csr_array
        The round's matrix on a pattern from :func:`structured` (diagonal stored).
        Receiver-first: M[i, j] > 0 only if j -> i or j == i.
    side : {"row", "col"}
        ``row``: receiver re-normalises (pull). ``col``: sender keeps undelivered mass
        (push, acknowledged model).
    p : float
        Drop probability of each directed link in [0, 1).
    seed : int
        The run's seed.
    round_index : int
        Global gossip round (the counter of the draws).
    awake_mask : bool array (n,) or None
        Nodes awake this iteration (None: all).
    vanish : bool
        Negative control for ``col``: undelivered mass is lost instead of kept.
    pull_rule : {"renormalise", "self"}
        ``row`` side: re-normalise over what arrived (default), or put the weight of
        every missing message on the receiver's own entry (it uses its own value in
        place of the missing one). Both keep rows stochastic; "self" also keeps a
        symmetric doubly stochastic W doubly stochastic when drops are symmetric (a
        sleeping node's links), which is what gradient tracking over W needs.

    Returns
    -------
    (csr_array, int)
        The transformed matrix (same pattern as M) and the number of delivered messages.
    """
    new, count = transform_values(Pattern(M), M.data, side, p=p, seed=seed,
                                  round_index=round_index, awake_mask=awake_mask,
                                  vanish=vanish, pull_rule=pull_rule)
    return sp.csr_array((new, M.indices, M.indptr), shape=M.shape), count


class Pattern:
    """Index arrays of a :func:`structured` sparsity pattern, computed once per pattern
    (the network keeps one per stored matrix)."""

    def __init__(self, M):
        n = self.n = M.shape[0]
        self.rows = np.repeat(np.arange(n), np.diff(M.indptr))
        self.cols = M.indices.astype(np.int64)
        self.diag = self.rows == self.cols
        self.diag_pos = np.flatnonzero(self.diag)            # one per row, in row order
        if len(self.diag_pos) != n:
            raise ValueError("the pattern must store every diagonal entry (use structured)")
        self.link = self.cols * n + self.rows                # link j -> i, sender-major


def transform_values(pat: Pattern, data, side: str, *, p: float, seed, round_index: int,
                     awake_mask=None, vanish: bool = False, pull_rule: str = "renormalise"):
    """:func:`transform` on the values ``data`` of pattern ``pat``; returns the new values
    and the number of delivered messages."""
    n, rows, cols, diag = pat.n, pat.rows, pat.cols, pat.diag
    off = ~diag & (data != 0)
    live = off.copy()
    if p > 0:
        e = np.flatnonzero(off)
        u = streams.uniform(seed, "link_failure", round_index, pat.link[e], 1)[:, 0]
        live[e[u < p]] = False
    if awake_mask is not None:
        live &= awake_mask[rows] & awake_mask[cols]
    new = np.where(live | diag, data, 0.0)
    lost_mask = off & ~live
    if side == "row" and pull_rule == "self":
        new[pat.diag_pos] += np.bincount(rows[lost_mask], weights=data[lost_mask],
                                         minlength=n)
    elif side == "row":
        if pull_rule != "renormalise":
            raise ValueError(f"pull_rule must be 'renormalise' or 'self', got {pull_rule!r}")
        if awake_mask is not None:
            new[pat.diag_pos[~awake_mask]] = 1.0             # sleeping row: e_i
        s = np.bincount(rows, weights=new, minlength=n)
        empty = s == 0
        if empty.any():                                      # nothing arrived, no self
            new[pat.diag_pos[empty]] = 1.0                   # weight: keep own value
            s[empty] = 1.0
        new /= s[rows]
    elif side == "col":
        if not vanish:
            new[pat.diag_pos] += np.bincount(cols[lost_mask], weights=data[lost_mask],
                                             minlength=n)
    else:
        raise ValueError(f"side must be one of {SIDES}, got {side!r}")
    return new, int(np.count_nonzero(live))

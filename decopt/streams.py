"""Counter-based random numbers keyed by (seed, tag, counter, node): placement-free draws.

Randomness that belongs to a node in a given round (a compression operator's random
coordinates, a link that drops, a node that sleeps, a client that is sampled) must not
depend on the backend or on how nodes are placed on MPI ranks. A stateful stream cannot
promise that cheaply; a counter-based generator can: every number is a pure function of
integers,

    u(seed, tag, counter, node, j) = splitmix64(seed, tag, counter, node, j) / 2^64,

so a rank hosting nodes ``nodes`` computes exactly the rows it needs, in any order, and
gets the same values as a process hosting all n nodes. ``tag`` separates independent
uses (one per kind of draw, see :data:`TAGS`); ``counter`` is usually the communication
round or the iteration; ``j`` indexes the values drawn for one node.

The mixer is Steele, Lea and Flood's SplitMix64 finaliser (the one that seeds numpy's
own generators), applied to a running combination of the keys; it passes the usual
statistical batteries for this use and is vectorised over nodes and j [1]_.

References
----------
.. [1] G. L. Steele, D. Lea, C. H. Flood, "Fast splittable pseudorandom number
   generators", OOPSLA 2014.
"""

from __future__ import annotations

import numpy as np

#: Domain tags of the package's counter-based draws (user code may take others >= 1000).
TAGS = {
    "compression": 1,
    "link_failure": 2,
    "activation": 3,
    "participation": 4,
    "pairwise": 5,
    "topology": 6,
    "compute_time": 7,
    "minibatch": 8,
    "gradient_noise": 9,
}

#: Nodes per stream of the blocked draws (:func:`block_uniform`, :func:`block_normal`).
#: Part of the definition of the numbers: changing it changes every blocked draw.
BLOCK = 256

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)


def _mix(z):
    """SplitMix64 finaliser on a uint64 array (wrapping arithmetic)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def _absorb(h, value):
    return _mix(h + _GOLDEN + np.asarray(value, dtype=np.uint64))


def _tag(tag) -> int:
    if isinstance(tag, str):
        if tag not in TAGS:
            raise ValueError(f"unknown random-stream tag {tag!r}; expected one of "
                             f"{sorted(TAGS)} or an int >= 1000")
        return TAGS[tag]
    return int(tag)


def bits(seed, tag, counter, nodes, size) -> np.ndarray:
    """Raw 64-bit draws, shape ``(len(nodes), size)`` (uint64)."""
    nodes = np.asarray(nodes, dtype=np.uint64).reshape(-1, 1)
    with np.errstate(over="ignore"):
        h = np.full((1, 1), np.uint64(int(seed) & 0xFFFFFFFFFFFFFFFF))
        h = _absorb(h, _tag(tag))
        h = _absorb(h, int(counter) & 0xFFFFFFFFFFFFFFFF)
        h = _absorb(h, nodes)                                    # (m, 1)
        j = np.arange(int(size), dtype=np.uint64).reshape(1, -1)
        return _absorb(h, j)                                     # (m, size)


def _bits_many(seeds, tag, counter, nodes, size) -> np.ndarray:
    """:func:`bits` for several seeds at once, shape (len(seeds), len(nodes), size): the
    same operations broadcast over a leading seed axis (the same values)."""
    nodes = np.asarray(nodes, dtype=np.uint64).reshape(1, -1, 1)
    seeds = np.array([int(s) & 0xFFFFFFFFFFFFFFFF for s in seeds],
                     dtype=np.uint64).reshape(-1, 1, 1)
    with np.errstate(over="ignore"):
        h = _absorb(seeds, _tag(tag))
        h = _absorb(h, int(counter) & 0xFFFFFFFFFFFFFFFF)
        h = _absorb(h, nodes)                                    # (S, m, 1)
        j = np.arange(int(size), dtype=np.uint64).reshape(1, 1, -1)
        return _absorb(h, j)                                     # (S, m, size)


def _to_unit(b):
    return (b >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def uniform(seed, tag, counter, nodes, size) -> np.ndarray:
    """Uniform draws in [0, 1), shape ``(len(nodes), size)``; a list of seeds (batched
    runs) gives shape ``(len(seeds), len(nodes), size)`` (computed in one vectorised
    pass, the same values as one call per seed)."""
    if isinstance(seed, (list, tuple)):
        return _to_unit(_bits_many(seed, tag, counter, nodes, size))
    return _to_unit(bits(seed, tag, counter, nodes, size))


def normal(seed, tag, counter, nodes, size) -> np.ndarray:
    """Standard normal draws (Box-Muller on two uniform blocks), shapes as :func:`uniform`."""
    u = uniform(seed, tag, counter, nodes, 2 * int(size))
    u1, u2 = u[..., 0::2], u[..., 1::2]
    return np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)


def subset(seed, tag, counter, nodes, d, k) -> np.ndarray:
    """For each node, k distinct indices of range(d) chosen uniformly at random (sorted),
    shape ``(len(nodes), k)``; a list of seeds adds a leading axis.

    O(k) draws per node when k is small against d: the first k distinct values of
    ``2 k + 8`` uniform integers in range(d) (an ordered sample without replacement,
    hence a uniform k-subset); a node whose draws hold fewer than k distinct values
    (and every node when 4 k > d) takes the k smallest of d uniforms instead (uniform
    too; the event that selects the branch does not depend on which values were
    drawn, by symmetry). Both are pure functions of (seed, tag, counter, node)."""
    if isinstance(seed, (list, tuple)):
        return np.stack([subset(s, tag, counter, nodes, d, k) for s in seed])
    if not 0 <= k <= d:
        raise ValueError(f"subset size k must be in [0, d={d}], got {k}")
    nodes = np.asarray(nodes, dtype=np.int64).reshape(-1)
    out = np.empty((len(nodes), k), dtype=np.int64)
    if k == 0 or not len(nodes):
        return out
    full = np.ones(len(nodes), dtype=bool)
    if 4 * k <= d:
        m = 2 * k + 8
        v = np.minimum((uniform(seed, tag, counter, nodes, m) * d).astype(np.int64), d - 1)
        order = np.argsort(v, axis=1, kind="stable")
        sv = np.take_along_axis(v, order, axis=1)
        first = np.empty_like(v, dtype=bool)              # first occurrence of each value
        first_sorted = np.ones_like(v, dtype=bool)
        first_sorted[:, 1:] = sv[:, 1:] != sv[:, :-1]
        np.put_along_axis(first, order, first_sorted, axis=1)
        keep = first & (np.cumsum(first, axis=1) <= k)    # the first k distinct, in order
        full = keep.sum(axis=1) < k
        ok = ~full
        out[ok] = np.sort(v[ok][keep[ok]].reshape(-1, k), axis=1)
    if full.any():
        u = uniform(seed, tag, counter + 2**62, nodes[full], d)
        out[full] = np.sort(np.argpartition(u, k - 1, axis=1)[:, :k] if k < d else
                            np.argsort(u, axis=1)[:, :k], axis=1)
    return out


# ------------------------------------------------------------------ blocked draws
def _blocked(seed, tag, counter, nodes, size, fill):
    """Rows ``nodes`` of per-block streams: block ``c`` (nodes ``c*BLOCK .. c*BLOCK+255``)
    draws from ``PCG64(SeedSequence([seed, tag, c, counter]))`` and node ``c*BLOCK + r``
    gets values ``r*size .. (r+1)*size - 1`` of that block's stream. A stream is filled
    sequentially, so these values do not depend on how many rows are drawn after them:
    a process draws only up to its last hosted row of each block."""
    seeds = seed if isinstance(seed, (list, tuple)) else [seed]
    nodes = np.asarray(nodes, dtype=np.int64).reshape(-1)
    size = int(size)
    t = _tag(tag)
    counter = int(counter)
    out = np.empty((len(seeds), len(nodes), size))
    if len(nodes) and size:
        blocks = nodes // BLOCK
        contiguous = bool((np.diff(nodes) == 1).all())
        for c in np.unique(blocks):
            pos = np.flatnonzero(blocks == c)
            local = nodes[pos] - c * BLOCK
            rows = int(local.max()) + 1
            for k, s in enumerate(seeds):
                g = np.random.Generator(np.random.PCG64(
                    np.random.SeedSequence([int(s), t, int(c), counter])))
                if contiguous and local[0] == 0:     # the block's prefix: fill in place
                    fill(g, out[k, pos[0]:pos[0] + rows])
                else:
                    buf = np.empty((rows, size))
                    fill(g, buf)
                    out[k, pos] = buf[local]
    return out if isinstance(seed, (list, tuple)) else out[0]


def block_uniform(seed, tag, counter, nodes, size) -> np.ndarray:
    """Uniform draws in [0, 1) from one counter-keyed stream per block of :data:`BLOCK`
    nodes: shape ``(len(nodes), size)``, or ``(len(seeds), len(nodes), size)`` for a
    list of seeds.

    Node i's values are a pure function of (seed, tag, counter, i, size), never of the
    other nodes asked for, so any placement of nodes on processes gives the same rows
    (like :func:`uniform`); the stream of block ``c`` is numpy's PCG64 seeded by
    ``SeedSequence([seed, tag, c, counter])``. About 3x faster than :func:`uniform` for
    large draws (one generator per block instead of a hash per value). The values differ
    from :func:`uniform`'s.
    """
    return _blocked(seed, tag, counter, nodes, size, lambda g, a: g.random(out=a))


def block_normal(seed, tag, counter, nodes, size) -> np.ndarray:
    """Standard normal draws from the blocked streams of :func:`block_uniform` (numpy's
    ziggurat sampler); shapes and placement-independence as there."""
    return _blocked(seed, tag, counter, nodes, size,
                    lambda g, a: g.standard_normal(out=a))

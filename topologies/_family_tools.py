"""Helpers shared by the digraph families (:mod:`topologies.families`,
:mod:`topologies.random_families`): size limits, graph construction with its attributes,
seeded spec strings, giving up on random draws."""

from __future__ import annotations

import networkx as nx
import numpy as np

from ._validate import as_int, seed_is_reproducible

#: Default number of draws before a random family gives up.
MAX_TRIES = 100

#: Largest number of nodes a family builds. networkx keeps every node and edge as Python
#: objects (around a kilobyte per node with its edges), so 10^7 nodes already need about
#: 10 GB; larger requests fail at once with a ValueError naming the value, instead of a
#: MemoryError from deep inside numpy or a build that never ends.
MAX_NODES = 10**7


# --------------------------------------------------------------------------- helpers
def _digraph(n: int, src, dst, family: str, params: dict, spec: str | None) -> nx.DiGraph:
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    G.add_edges_from(zip((int(u) for u in src), (int(v) for v in dst)))
    G.remove_edges_from(list(nx.selfloop_edges(G)))
    G.graph["family"] = family
    G.graph["params"] = dict(params)
    G.graph["name"] = spec if spec is not None else f"{family}(n={n})"
    if spec is not None:
        G.graph["spec"] = spec
    return G


def _both(src, dst):
    src, dst = np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)
    return np.concatenate([src, dst]), np.concatenate([dst, src])


def _n(n, name: str = "n") -> int:
    n = as_int(n, name, minimum=1)
    if n > MAX_NODES:
        raise ValueError(f"{name} must be an integer <= {MAX_NODES} (topologies.families."
                         f"MAX_NODES), got {n}")
    return n


def _rows_cols(rows, cols) -> tuple[int, int]:
    rows, cols = as_int(rows, "rows", minimum=1), as_int(cols, "cols", minimum=1)
    if rows * cols > MAX_NODES:
        raise ValueError(f"rows x cols = {rows} x {cols} = {rows * cols} nodes, expected at "
                         f"most {MAX_NODES} (topologies.families.MAX_NODES)")
    return rows, cols


def _seeded_spec(base: str, seed) -> str | None:
    return f"{base},seed={int(seed)}" if seed_is_reproducible(seed) else None


def _give_up(family: str, args: str, tries: int, hint: str):
    raise ValueError(f"{family}({args}): no strongly connected sample in {tries} tries; "
                     f"{hint}")

"""Topologies read from files: edge lists, scipy sparse ``.npz`` and Matrix Market ``.mtx``.

Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only if
j -> i or j == i.

The spec ``"file:PATH"`` (see :func:`topologies.from_spec`) reads ``PATH`` with
:func:`from_file`; the file format follows from the suffix.
"""

from __future__ import annotations

import os

import networkx as nx
import numpy as np
import scipy.sparse as sp

from .checks import check_stochastic
from .families import from_digraph

__all__ = ["from_file", "read_edge_list", "read_matrix"]

#: Tolerance on the row / column sums deciding that a matrix file holds mixing weights.
STOCHASTIC_ATOL = 1e-10


def _fail(path, why):
    raise ValueError(f"topology file {os.fspath(path)!r}: {why}")


def read_edge_list(path):
    """The edges of an edge-list file, as a list of ``(j, i)`` integer pairs.

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    One edge per line, ``j i`` separated by whitespace (or a comma), meaning j -> i (j can
    send to i). ``#`` starts a comment (whole line or after the edge); blank lines are
    skipped. Node labels are any integers (``0..n-1`` or not: :func:`from_file`
    relabels them).

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    list of (int, int)

    Raises
    ------
    ValueError
        For a missing or unreadable file, or a malformed line, naming the file and the
        line number (``graph.edges line 3: expected two integer node labels 'j i' (edge
        j -> i), got 'a b'``), or a file without edges.
    """
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.readlines()
    except FileNotFoundError:
        _fail(path, "no such file")
    except (OSError, UnicodeDecodeError) as e:
        _fail(path, f"cannot be read as a text edge list ({e})")
    edges = []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        tokens = text.replace(",", " ").split()
        try:
            if len(tokens) != 2:
                raise ValueError
            j, i = (int(t) for t in tokens)
        except ValueError:
            _fail(path, f"line {number}: expected two integer node labels 'j i' (edge "
                        f"j -> i), got {text!r}")
        edges.append((j, i))
    if not edges:
        _fail(path, "holds no edges; expected lines 'j i' meaning edge j -> i")
    return edges


def read_matrix(path):
    """The matrix stored in a scipy sparse ``.npz`` or a Matrix Market ``.mtx`` file.

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    Parameters
    ----------
    path : str or os.PathLike
        ``.npz`` written by :func:`scipy.sparse.save_npz`, or ``.mtx`` / ``.mtx.gz``
        (Matrix Market, read by :func:`scipy.io.mmread`; ``pattern`` matrices read as
        0/1).

    Returns
    -------
    scipy.sparse.csr_array
        Square, finite and non-negative, float64.

    Raises
    ------
    ValueError
        For a missing file, an unreadable one, a non-square matrix, or a non-finite or
        negative entry, naming the file and the entry.
    """
    name = os.fspath(path)
    if not os.path.isfile(name):
        _fail(path, "no such file")
    try:
        if name.endswith(".npz"):
            M = sp.load_npz(name)
        else:
            import scipy.io       # only here: it adds ~0.1 s to every import of topologies
            M = scipy.io.mmread(name)
    except Exception as e:  # noqa: BLE001 - any reader failure is a malformed file
        what = ("a scipy.sparse.save_npz file" if name.endswith(".npz")
                else "a Matrix Market file")
        _fail(path, f"cannot be read as {what} ({type(e).__name__}: {e})")
    M = sp.csr_array(M, dtype=np.float64)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        _fail(path, f"holds a {M.shape[0]} x {M.shape[1]} matrix, expected a square one")
    M.sum_duplicates()
    coo = M.tocoo()
    bad = ~np.isfinite(coo.data)
    if bad.any():
        k = int(np.argmax(bad))
        _fail(path, f"entry ({int(coo.row[k])}, {int(coo.col[k])}) is "
                    f"{float(coo.data[k])!r}, expected a finite number")
    if (coo.data < 0).any():
        k = int(np.argmax(coo.data < 0))
        _fail(path, f"entry ({int(coo.row[k])}, {int(coo.col[k])}) is "
                    f"{float(coo.data[k])!r}, expected >= 0")
    return M


def _stochastic_sides(M):
    sides = []
    for side in ("row", "column"):
        try:
            check_stochastic(M, side=side, atol=STOCHASTIC_ATOL)
            sides.append(side)
        except ValueError:
            pass
    return sides


def from_file(path):
    """A topology read from a file: an edge list, or a matrix in ``.npz`` / ``.mtx``.

    Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
    if j -> i or j == i.

    - **Edge list** (any suffix but ``.npz``, ``.mtx``, ``.mtx.gz``): one edge ``j i``
      per line meaning j -> i, ``#`` comments (see :func:`read_edge_list`). Integer node
      labels other than ``0..n-1`` are relabelled in sorted order and kept in
      ``G.graph["labels"]`` (``labels[k]`` is the file's label of node k).
    - **Matrix** (``.npz`` from :func:`scipy.sparse.save_npz`, or Matrix Market
      ``.mtx``): receiver-first, ``M[i, j] != 0`` for ``i != j`` meaning edge j -> i (the
      transpose of networkx's sender-first adjacency matrix). If every row sums to 1, or
      every column does (within 1e-10), the matrix *is* the mixing matrix: it is stored
      in ``G.graph["weights"]`` under ``"row"``, ``"column"`` or both (and ``"doubly"``),
      so :func:`topologies.default_weights` (and hence ``decopt.run`` with the default
      weight rule) uses these exact weights on that side, and the uniform rule on its
      support for the other side. Otherwise the matrix is an *adjacency* matrix: only
      its off-diagonal pattern counts and the weight rules build the mixing matrices.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    networkx.DiGraph
        On the nodes 0..n-1, strongly connected, with graph attributes ``spec``
        (``"file:PATH"``), ``family`` (``"file"``), ``name`` (the file name), ``source``
        (``"edges"``, ``"mixing"`` or ``"adjacency"``) and, where relabelled, ``labels``.

    Raises
    ------
    TypeError
        If ``path`` is not a str or os.PathLike.
    ValueError
        For a missing or malformed file (naming the file, and the line for edge lists),
        a negative or non-finite matrix entry, or a graph that is not strongly connected
        (naming the file and two nodes with no path between them).
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    name = os.fspath(path)
    is_matrix = name.endswith((".npz", ".mtx", ".mtx.gz"))
    if is_matrix:
        M = read_matrix(name)
        n = M.shape[0]
        sides = _stochastic_sides(M)
        coo = M.tocoo()
        off = coo.row != coo.col
        H = nx.DiGraph()
        H.add_nodes_from(range(n))
        H.add_edges_from(zip(coo.col[off].tolist(), coo.row[off].tolist()))   # j -> i
        source = "mixing" if sides else "adjacency"
    else:
        H = nx.DiGraph()
        H.add_edges_from(read_edge_list(name))
        source = "edges"
    try:
        G = from_digraph(H)
    except ValueError as e:
        _fail(path, str(e))
    if is_matrix and sides:
        weights = {side: M for side in sides}
        if len(sides) == 2:
            weights["doubly"] = M
        G.graph["weights"] = weights
    G.graph.update(spec=f"file:{name}", family="file", name=os.path.basename(name),
                   source=source)
    return G

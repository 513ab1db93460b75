"""topologies: digraph families, weight rules and effective metrics.

Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only if
j -> i or j == i.

>>> import topologies as tp
>>> G = tp.exponential(16)                  # networkx.DiGraph, nodes 0..15
>>> A = tp.row_stochastic(G)                # csr_array, rows sum to 1
>>> round(tp.describe(A)["beta"], 4)
0.6

This package never imports :mod:`decopt`.

References
----------
.. [LCLY25] L. Liang, X. Chen, G. Luo, K. Yuan, arXiv:2506.04600.
.. [LLY25] L. Liang, G. Luo, K. Yuan, arXiv:2506.18075.
.. [LHXY23] L. Liang, X. Huang, R. Xin, K. Yuan, arXiv:2312.04928.
.. [PSXN21] S. Pu, W. Shi, J. Xu, A. Nedic, arXiv:1810.06653.
.. [YCHYY21] B. Ying, K. Yuan, Y. Chen, H. Hu, P. Pan, W. Yin, arXiv:2110.13363.
"""

from .checks import as_matrix, check_stochastic, check_strongly_connected, is_strongly_connected
from .families import (complete, directed_ring, erdos_renyi, exponential, from_digraph,
                       from_edges, grid, nearest_neighbour, one_peer_exponential,
                       random_geometric, random_k_out, ring_with_chords, skewed_chain,
                       skewed_chain_matrix, skewed_ring, star, torus, undirected_ring)
from .files import from_file
from .metrics import (beta, describe, is_primitive, kappa, lemma7_threshold, mg_rounds,
                      perron_vector, slem, theta)
from .fast import CirculantMatrix, EdgeList, edges_from_spec
from .spec import FAMILIES, from_spec, spec_help
from .weights import (column_stochastic, default_weights, lazy, metropolis,
                      random_integer_weights, row_stochastic)

__all__ = [
    # families
    "directed_ring", "undirected_ring", "ring_with_chords", "skewed_ring", "skewed_chain",
    "skewed_chain_matrix", "exponential", "one_peer_exponential", "grid", "torus", "star",
    "complete", "erdos_renyi", "random_k_out", "random_geometric", "nearest_neighbour",
    "from_edges", "from_digraph", "from_file",
    # specs
    "from_spec", "FAMILIES", "spec_help", "edges_from_spec", "EdgeList", "CirculantMatrix",
    # weights
    "row_stochastic", "column_stochastic", "random_integer_weights", "metropolis", "lazy",
    "default_weights",
    # checks
    "check_stochastic", "as_matrix", "check_strongly_connected", "is_strongly_connected",
    # metrics
    "perron_vector", "kappa", "beta", "slem", "theta", "lemma7_threshold", "mg_rounds",
    "is_primitive", "describe",
]

"""What every algorithm is: a frozen object with ``init`` and ``step`` over explicit state.

An algorithm sees only the rows of the nodes hosted by this process, arrays of shape
(m, d) or (runs, m, d), and communicates only through ``net.pull`` (row-stochastic A,
receiver-weighted) and ``net.push`` (column-stochastic B, sender-weighted). It never
knows which backend runs it. Every state is a NamedTuple whose field ``x`` holds the
nodes' current estimates; the runner reads metrics from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Algorithm:
    """Common fields and metadata of the algorithms.

    Attributes
    ----------
    alpha : float
        Step size.
    weights : ClassVar[str]
        Which mixing matrices the recursion uses: ``"doubly"`` (W, through ``pull``),
        ``"symmetric"`` (a symmetric W),
        ``"row"`` (A), ``"column"`` (B) or ``"row+column"`` (A and B).
    exact : ClassVar[bool]
        Whether the method reaches the exact minimiser with deterministic gradients.
    reference : ClassVar[str]
        Where the recursion comes from (arXiv number where there is one).
    static_only : ClassVar[bool]
        True for methods that cannot run on a time-varying topology (they raise
        ValueError at ``init``); the test tables skip those cases.
    mixings : ClassVar[int]
        Mixing calls (``net.pull`` / ``net.push``) per iteration, each one communication
        round (R rounds with multi-step gossip). Declared here so that studies can give
        every algorithm the same communication budget; a conformance test checks it
        against the network's counters.
    """

    alpha: float

    weights: ClassVar[str] = "doubly"
    exact: ClassVar[bool] = True
    reference: ClassVar[str] = ""
    mixings: ClassVar[int] = 1
    static_only: ClassVar[bool] = False

    def __post_init__(self):
        a = self.alpha
        if isinstance(a, bool) or not isinstance(a, (int, float)):
            raise TypeError(f"step size alpha must be a number, got {a!r}")
        if not (a > 0 and a < float("inf")):
            raise ValueError(f"step size alpha must be a finite number > 0, got {a!r}")

    def step_size_bound(self, n: int, L: float) -> float | None:
        """The largest step size the theory guarantees, or None where it gives none."""
        return None

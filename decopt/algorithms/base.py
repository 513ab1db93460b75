"""What every algorithm is: a frozen object with ``init`` and ``step`` over explicit state.

The contract (what users and the conformance table rely on)
------------------------------------------------------------
An algorithm is a frozen dataclass subclassing :class:`Algorithm` (its first field is
the step size ``alpha``; further fields are its options, given as
``options={...}`` to :func:`decopt.run` or ``options = {...}`` in a study) with two
methods:

- ``init(x0, oracle, net) -> State``: the state at iteration 0 from the initial
  iterates ``x0``;
- ``step(state, oracle, net) -> State``: one iteration; it returns a new state and never
  mutates its argument.

``State`` is a ``typing.NamedTuple`` of arrays whose field ``x`` holds the iterates the
runner reports (metrics, final ``Result.x``, checkpoints gather every field). Every
array has shape (m, d), or (runs, m, d) with batched seeds: the rows of the m nodes this
process hosts (m = n in-process; a block of nodes per rank under MPI). An algorithm never
knows which backend runs it and talks to other nodes only through

- ``net.pull(*arrays)``: multiply by the row-stochastic matrix A (receiver-weighted);
- ``net.push(*arrays)``: multiply by the column-stochastic matrix B (sender-weighted);

each returns a bare array for one input and a tuple of arrays for several (arrays given
to one call travel in one message). With ``rounds=R`` (or the name ``mg_<name>``) each
call applies its matrix R times: multi-step gossip needs no change to the algorithm.
``net.identity_rows()`` gives the hosted rows e_i of the n x n identity, shape (m, n),
and ``net.own_entries(v)`` the entries ``[v_i]_i`` of such rows, shape (m,) (what
Pull-Diag methods need to track the Perron vector). ``oracle.grad(X)`` gives the hosted
nodes' (stochastic) gradients at X, same shape as X.

Class attributes declare what the runner and the studies need:

- ``weights``: the matrices used (``"doubly"``, ``"symmetric"``, ``"row"``, ``"column"``
  or ``"row+column"``);
- ``mixings``: ``pull``/``push`` calls per iteration (checked against the counters);
- ``exact``: whether it reaches the exact minimiser with deterministic gradients;
- ``reference``: the paper, by arXiv number;
- ``step_size_bound(n, L)``: the largest step size its theory guarantees, or None.

Callbacks given to :func:`decopt.run` run on the root process only (rank 0), with the
gathered iterates. Register a class with :func:`decopt.register_algorithm`, or pass
its import path ``"package.module:Class"`` wherever a name is taken. The same code runs
on the in-process and the MPI backends with the same numbers (1e-12), because every
node's randomness depends on (seed, node) only.

Example: Push-Pull with heavy-ball momentum, ``x+ = A(x - alpha y) + beta (x - x_prev)``,
``y+ = B y + g(x+) - g(x)``::

    class HBState(NamedTuple):
        x: np.ndarray
        x_prev: np.ndarray
        y: np.ndarray
        g: np.ndarray

    @decopt.register_algorithm("hb_push_pull")
    @dataclass(frozen=True)
    class HBPushPull(decopt.algorithms.Algorithm):
        beta: float = 0.3
        weights: ClassVar[str] = "row+column"
        mixings: ClassVar[int] = 2

        def init(self, x0, oracle, net):
            g = oracle.grad(x0)
            return HBState(x0, x0, g, g)

        def step(self, s, oracle, net):
            x = net.pull(s.x - self.alpha * s.y) + self.beta * (s.x - s.x_prev)
            g = oracle.grad(x)
            y = net.push(s.y) + g - s.g
            return HBState(x, s.x, y, g)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Algorithm:
    """Common fields and metadata of the algorithms (the contract is in the module
    docstring: ``init(x0, oracle, net) -> State``, ``step(state, oracle, net) -> State``,
    a NamedTuple state with field ``x``).

    Attributes
    ----------
    alpha : float
        Step size.
    weights : ClassVar[str]
        Which mixing matrices the recursion uses: ``"doubly"`` (W, through ``pull``),
        ``"symmetric"`` (a symmetric W),
        ``"row"`` (A), ``"column"`` (B), ``"row+column"`` (A and B) or ``"server"``
        (no mixing matrix: the method talks only through ``net.average``, the exact
        average over the sampled clients; a run then needs only the number of nodes).
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

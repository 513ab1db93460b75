"""Simulated wall-clock time of a synchronous decentralised run: a latency-bandwidth model.

The papers count iterations and rounds; a cluster bills seconds. A :class:`CostModel` turns
the network's gossip rounds and the oracle's gradient calls into simulated seconds, and a
:class:`SimClock` (an observer of the network, see :class:`decopt.network.Network`) adds
them up during a run: ``decopt.run(..., cost_model="cluster-1g")`` logs ``sim_time``.

Model
-----
Edge j -> i means j can send to i. Mixing matrices are receiver-first: M[i, j] > 0 only
if j -> i or j == i; every stored off-diagonal nonzero M[i, j] is one message j -> i.

*Communication* (a Hockney alpha-beta model [1]_ with LogP-style serialisation [2]_). A
gossip round sends one message over every edge; all messages of a round carry the same
payload of ``b`` bits (``64 * width`` uncompressed, or what the compressor says). With
``alpha = latency`` (s), ``beta = bandwidth`` (bytes/s), ``o = overhead`` (s, a
per-round software cost paid once by every node) and ``gamma = local_bandwidth``
(bytes/s of the payload-proportional work a node does once per round whatever its
degree: packing its rows, applying its row of the matrix; ``inf`` by default, free),
a node starts sending after ``o + b / (8 gamma)``, and one message occupies its sender
for ``tau = alpha + b / (8 beta)``. Node j sends its ``k_j = outdeg(j)`` messages one
after the other, in ascending order of receiver id (``serialize="sender"``, the default:
one NIC, one CPU thread per node), so the message j -> i arrives at
``o + b / (8 gamma) + q_ji * tau`` where ``q_ji`` is i's position among j's
out-neighbours. The round is synchronous: node i finishes when its last incoming message
arrives, and the round ends when every node has finished::

    T_round = o + b / (8 gamma) + tau * max_j outdeg(j).

``serialize="receiver"`` serialises at the receiving NIC instead (``max_i indeg(i)``
in place of the out-degree), and ``serialize="none"`` gives every link its own bandwidth
(``T_round = o + b / (8 gamma) + tau``). A round without messages (one node) costs
nothing. (The per-byte term per round is LogGP's [3]_ gap per byte taken once per round
rather than per message; ``decopt calibrate`` on three or more ranks separates it from
the per-message cost with two rings of out-degree 1 and 2.)

*Computation.* One oracle call computes ``samples`` gradient samples per node (R with
multi-step gossip). Node i's time for call c of the run with seed s is ::

    t_i(s, c) = compute * samples * h_i * slow_i * (1 + jitter * u1) * (straggler_slowdown
                if u2 < straggler_prob else 1),

with ``h_i = 1 + heterogeneity * v_i`` a fixed speed factor of node i (``v_i`` uniform in
[0, 1), drawn once from ``decopt.streams`` with the profile's ``seed``), ``slow_i`` the
factor given for node i in ``slow_nodes`` (1 otherwise), and ``(u1, u2)`` uniform draws of
``decopt.streams`` keyed by (s, "compute_time", c, i): they depend on the run seed, the
node and the call only, never on the backend or on how nodes are placed on ranks. Nodes
wait for each other (synchronous iterations), so a call costs ``max_i t_i(s, c)``.

*Run time.* ``sim_time = sum over gossip rounds of T_round + sum over calls of
max_i t_i``: communication and computation do not overlap.

Profiles
--------
:data:`PROFILES` holds named models (``"datacenter-10g"``, ``"cluster-1g"``, ``"edge"``;
see there for the numbers and their rationale). :func:`load` reads a name or a TOML file
(keys of :class:`CostModel`, at the top level or in a ``[cost_model]`` table; ``profile =
"<name>"`` starts from a named profile), :func:`resolve` also takes a dict or a
:class:`CostModel`. ``python -m decopt.calibrate`` measures a profile on the machine it
runs on.

References
----------
.. [1] R. W. Hockney, "The communication challenge for MPP: Intel Paragon and Meiko CS-2",
   Parallel Computing 20(3), 1994 (the alpha-beta model of a message).
.. [2] D. Culler et al., "LogP: towards a realistic model of parallel computation",
   PPoPP 1993 (per-message overhead serialised at the sender).
.. [3] A. Alexandrov et al., "LogGP: incorporating long messages into the LogP model",
   SPAA 1995 (a cost per byte besides the cost per message).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import streams

__all__ = ["CostModel", "SimClock", "PROFILES", "load", "resolve", "SERIALIZE"]

#: Where the messages of a node queue up (see the module docstring).
SERIALIZE = ("sender", "receiver", "none")

#: Counter of the per-node fixed speed draw (never reached by an oracle call counter).
_STATIC_COUNTER = 2**64 - 1


@dataclass(frozen=True)
class CostModel:
    """A latency-bandwidth-compute model of a synchronous cluster (units: SI).

    Parameters
    ----------
    latency : float
        alpha, seconds per message (>= 0).
    bandwidth : float
        beta, bytes per second per link (> 0; ``math.inf`` for free bytes).
    compute : float
        Seconds per gradient sample on a node of speed factor 1 (>= 0).
    overhead : float
        Seconds of software cost per gossip round, once per round (>= 0).
    local_bandwidth : float
        gamma, bytes per second of a node's payload-proportional work per round, once
        per round whatever its degree (> 0; ``math.inf``, the default, for free).
    serialize : {"sender", "receiver", "none"}
        Where a node's messages queue (see the module docstring).
    heterogeneity : float
        Node i's fixed speed factor is ``1 + heterogeneity * v_i``, v_i uniform in [0, 1).
    jitter : float
        Per-call multiplicative noise ``1 + jitter * u``, u uniform in [0, 1).
    straggler_prob : float
        Probability in [0, 1] that a node straggles in a call (per seed, node, call).
    straggler_slowdown : float
        Factor (>= 1) of a straggling call.
    slow_nodes : dict {node: factor}
        Fixed slowdown factors (>= 1) of given nodes (persistent stragglers).
    seed : int
        Seed of the fixed speed factors (a property of the cluster, not of the run).
    name : str
        A label (stored in the run's config).
    """

    latency: float
    bandwidth: float
    compute: float = 0.0
    overhead: float = 0.0
    local_bandwidth: float = math.inf
    serialize: str = "sender"
    heterogeneity: float = 0.0
    jitter: float = 0.0
    straggler_prob: float = 0.0
    straggler_slowdown: float = 1.0
    slow_nodes: dict = field(default_factory=dict)
    seed: int = 0
    name: str = "custom"

    def __post_init__(self):
        def num(key, low=0.0, strict=False, high=None, inf=False, unit=""):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
                raise TypeError(f"cost_model.{key} must be a number{unit}, got {v!r}")
            v = float(v)
            bad = math.isnan(v) or (math.isinf(v) and not (inf and v > 0)) or v < low \
                or (strict and v == low) or (high is not None and v > high)
            if bad:
                rng = f"{'>' if strict else '>='} {low:g}" + (
                    f" and <= {high:g}" if high is not None else "")
                raise ValueError(f"cost_model.{key} must be a {'' if inf else 'finite '}"
                                 f"number {rng}{unit}, got {v!r}")
            object.__setattr__(self, key, v)

        num("latency", unit=" (seconds per message)")
        num("bandwidth", strict=True, inf=True, unit=" (bytes per second)")
        num("compute", unit=" (seconds per gradient sample)")
        num("overhead", unit=" (seconds per gossip round)")
        num("local_bandwidth", strict=True, inf=True, unit=" (bytes per second)")
        num("heterogeneity")
        num("jitter")
        num("straggler_prob", high=1.0)
        num("straggler_slowdown", low=1.0)
        if self.serialize not in SERIALIZE:
            raise ValueError(f"cost_model.serialize must be one of {SERIALIZE}, got "
                             f"{self.serialize!r}")
        if not isinstance(self.slow_nodes, dict):
            raise TypeError(f"cost_model.slow_nodes must be a mapping {{node: factor}}, got "
                            f"{self.slow_nodes!r}")
        slow = {}
        for k, v in self.slow_nodes.items():
            try:
                node = int(k)
            except (TypeError, ValueError):
                raise ValueError(f"cost_model.slow_nodes: node {k!r} is not an integer "
                                 f"node id") from None
            if node < 0:
                raise ValueError(f"cost_model.slow_nodes: node {node} must be >= 0")
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (
                    math.isfinite(v) and v >= 1):
                raise ValueError(f"cost_model.slow_nodes[{node}] must be a finite factor "
                                 f">= 1, got {v!r}")
            slow[node] = float(v)
        object.__setattr__(self, "slow_nodes", slow)
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)):
            raise TypeError(f"cost_model.seed must be an int, got {self.seed!r}")
        if not isinstance(self.name, str):
            raise TypeError(f"cost_model.name must be a string, got {self.name!r}")

    # ------------------------------------------------------------ communication
    def message_time(self, bits: float) -> float:
        """tau = latency + bytes / bandwidth: how long one message occupies its sender."""
        return self.latency + float(bits) / 8.0 / self.bandwidth

    def arrival_times(self, matrix, bits: float) -> np.ndarray:
        """When each node's last incoming message of one round arrives, shape (n,).

        ``matrix`` is the receiver-first mixing matrix of the round (M[i, j] != 0, i != j:
        a message j -> i); ``bits`` the payload of every message. Nodes without incoming
        messages get 0. The round's time is the maximum (:meth:`round_time`).
        """
        rows, cols = _offdiag(matrix)
        n = matrix.shape[0]
        out = np.zeros(n)
        if not len(rows):
            return out
        tau = self.message_time(bits)
        begin = self.round_start(bits)
        if self.serialize == "none":
            q = np.ones(len(rows))
        elif self.serialize == "sender":      # position of i among j's receivers
            order = np.lexsort((rows, cols))
            c = cols[order]
            start = np.searchsorted(c, c, side="left")
            q = np.empty(len(rows))
            q[order] = np.arange(len(rows)) - start + 1
        else:                                  # receiver: position of j among i's senders
            order = np.lexsort((cols, rows))
            r = rows[order]
            start = np.searchsorted(r, r, side="left")
            q = np.empty(len(rows))
            q[order] = np.arange(len(rows)) - start + 1
        np.maximum.at(out, rows, begin + q * tau)
        return out

    def round_time(self, matrix, bits: float) -> float:
        """T_round of one gossip round over ``matrix`` with ``bits`` per message."""
        return self._round_from_degree(_max_degree(matrix, self.serialize), bits)

    def round_start(self, bits: float) -> float:
        """o + b / (8 gamma): when a node starts sending in a round."""
        return self.overhead + float(bits) / 8.0 / self.local_bandwidth

    def _round_from_degree(self, k: int, bits: float) -> float:
        if k == 0:
            return 0.0
        return self.round_start(bits) + k * self.message_time(bits)

    # ------------------------------------------------------------ computation
    def node_factors(self, n: int) -> np.ndarray:
        """Fixed speed factor ``h_i * slow_i`` of every node, shape (n,)."""
        f = np.ones(n)
        if self.heterogeneity:
            v = streams.uniform(self.seed, "compute_time", _STATIC_COUNTER, np.arange(n), 1)
            f *= 1.0 + self.heterogeneity * v[:, 0]
        for node, s in self.slow_nodes.items():
            if node >= n:
                raise ValueError(f"cost_model.slow_nodes names node {node}, but the network "
                                 f"has n={n} nodes (ids 0..{n - 1})")
            f[node] *= s
        return f

    @property
    def random_compute(self) -> bool:
        return bool(self.jitter) or (bool(self.straggler_prob)
                                     and self.straggler_slowdown > 1)

    def compute_times(self, seed: int, call: int, n: int, samples: int = 1,
                      factors=None) -> np.ndarray:
        """t_i(seed, call) of every node, shape (n,) (see the module docstring)."""
        f = self.node_factors(n) if factors is None else factors
        t = self.compute * samples * f
        if self.random_compute:
            u = streams.uniform(int(seed), "compute_time", int(call), np.arange(n), 2)
            t = t * (1.0 + self.jitter * u[:, 0])
            t = np.where(u[:, 1] < self.straggler_prob, t * self.straggler_slowdown, t)
        return t

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["slow_nodes"] = {str(k): v for k, v in self.slow_nodes.items()}
        return d

    def replace(self, **changes) -> "CostModel":
        return dataclasses.replace(self, **changes)


def _offdiag(matrix):
    """(rows, cols) of the stored nonzero off-diagonal entries: the messages j -> i."""
    import scipy.sparse as sp
    M = sp.coo_array(matrix) if not sp.issparse(matrix) else matrix.tocoo()
    keep = (M.row != M.col) & (M.data != 0)
    return np.asarray(M.row[keep], dtype=np.int64), np.asarray(M.col[keep], dtype=np.int64)


def _max_degree(matrix, serialize: str) -> int:
    rows, cols = _offdiag(matrix)
    if not len(rows):
        return 0
    if serialize == "none":
        return 1
    deg = np.bincount(cols if serialize == "sender" else rows, minlength=matrix.shape[0])
    return int(deg.max())


class SimClock:
    """Simulated time of one run (or of a batch of runs), an observer of the network.

    ``net.observers.append(clock)``; the network calls ``clock.on_round(net, side,
    matrix, bits)`` after every gossip round. :meth:`charge` brings the compute part up
    to date with the oracle's call counter. Batched seeds share the clock: the rounds are
    the same for all of them, the compute draws are per seed.

    Attributes
    ----------
    comm : float
        Seconds of communication so far.
    compute : ndarray (runs,)
        Seconds of computation so far, per seed.
    """

    def __init__(self, model: CostModel, n: int, seeds):
        self.model = model
        self.n = int(n)
        self.seeds = [int(s) for s in seeds]
        self.comm = 0.0
        self.compute = np.zeros(len(self.seeds))
        self.calls = 0
        self._factors = model.node_factors(self.n)
        self._degree: dict = {}    # id(matrix) -> (matrix, max degree); keeps matrix alive

    def on_round(self, net, side, matrix, bits) -> None:
        """One gossip round over ``matrix`` (receiver-first) with ``bits`` per message."""
        key = id(matrix)
        hit = self._degree.get(key)
        if hit is None or hit[0] is not matrix:
            if len(self._degree) >= 64:       # time-varying / random matrices
                self._degree.clear()
            hit = self._degree[key] = (matrix, _max_degree(matrix, self.model.serialize))
        self.comm += self.model._round_from_degree(hit[1], bits)

    def charge(self, calls: int, samples: int = 1) -> None:
        """Account the oracle calls ``self.calls`` to ``calls - 1`` (``samples`` each)."""
        m = self.model
        if not m.random_compute:
            k = int(calls) - self.calls
            if k > 0:
                self.compute += k * float(m.compute * samples * self._factors.max())
        else:
            for c in range(self.calls, int(calls)):
                for s, seed in enumerate(self.seeds):
                    self.compute[s] += m.compute_times(seed, c, self.n, samples,
                                                       self._factors).max()
        self.calls = max(self.calls, int(calls))

    def time(self) -> np.ndarray:
        """Simulated seconds so far, per seed, shape (runs,)."""
        return self.comm + self.compute


# ============================================================================ profiles
#: Named profiles. Latencies are typical small-message MPI ping-pong times on such
#: networks (the order of magnitude OSU-style latency benchmarks report for TCP over
#: 10 GbE and 1 GbE, and one-way delays of a wide-area / wireless edge link); bandwidths
#: are the nominal link rates; compute is the time of one minibatch gradient of a small
#: model on a server core (1e-4 s) or a low-power device (5e-3 s). They are orders of
#: magnitude for comparing topologies, not measurements: measure yours with
#: ``python -m decopt.calibrate``.
PROFILES: dict[str, CostModel] = {
    "datacenter-10g": CostModel(name="datacenter-10g", latency=1e-5, bandwidth=1.25e9,
                                compute=1e-4),
    "cluster-1g": CostModel(name="cluster-1g", latency=5e-5, bandwidth=1.25e8,
                            compute=1e-4, heterogeneity=0.2),
    "edge": CostModel(name="edge", latency=2e-2, bandwidth=1.25e6, compute=5e-3,
                      heterogeneity=1.0, straggler_prob=0.05, straggler_slowdown=10.0),
}

_FIELDS = tuple(f.name for f in dataclasses.fields(CostModel))


def from_dict(doc: dict, where: str = "cost_model") -> CostModel:
    """A model from a mapping of :class:`CostModel` fields; ``profile = "<name>"`` starts
    from a named profile whose fields the other keys override."""
    if not isinstance(doc, dict):
        raise TypeError(f"{where} must be a table of cost-model fields, got {doc!r}")
    doc = dict(doc)
    base = doc.pop("profile", None)
    bad = sorted(k for k in doc if k not in _FIELDS)
    if bad:
        raise ValueError(f"{where}: unknown key(s) {bad}; expected {list(_FIELDS)} or "
                         f"'profile'")
    if base is not None:
        if base not in PROFILES:
            raise ValueError(f"{where}.profile: unknown cost-model profile {base!r}; "
                             f"expected one of {sorted(PROFILES)}")
        return PROFILES[base].replace(**doc)
    missing = [k for k in ("latency", "bandwidth") if k not in doc]
    if missing:
        raise ValueError(f"{where}: missing key(s) {missing} (or give profile = one of "
                         f"{sorted(PROFILES)})")
    return CostModel(**doc)


def load(path_or_name) -> CostModel:
    """A named profile (:data:`PROFILES`) or a TOML profile file.

    The file holds :class:`CostModel` fields at the top level or in a ``[cost_model]``
    table (what ``python -m decopt.calibrate`` writes).
    """
    import os
    if isinstance(path_or_name, str) and path_or_name in PROFILES:
        return PROFILES[path_or_name]
    if not isinstance(path_or_name, (str, os.PathLike)):
        raise TypeError(f"cost_model must be a profile name {sorted(PROFILES)} or a path, "
                        f"got {path_or_name!r}")
    path = Path(path_or_name)
    if not path.is_file():
        raise ValueError(f"unknown cost-model profile {str(path_or_name)!r}: expected one of "
                         f"{sorted(PROFILES)} or a path to a .toml profile file")
    import tomllib
    try:
        doc = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"cost-model file {str(path)!r} is not valid TOML: {e}") from None
    if "cost_model" in doc:
        doc = doc["cost_model"]
    model = from_dict(doc, where=f"{path.name}: cost_model")
    if "name" not in doc:
        model = model.replace(name=path.stem)
    return model


def resolve(value) -> CostModel | None:
    """None, a :class:`CostModel`, a profile name or path (:func:`load`) or a dict
    (:func:`from_dict`) -> a CostModel (or None)."""
    if value is None or isinstance(value, CostModel):
        return value
    if isinstance(value, dict):
        return from_dict(value)
    return load(value)


def to_toml(model: CostModel, comment: str = "") -> str:
    """The ``[cost_model]`` table of a profile file (read back by :func:`load`)."""
    lines = [f"# {c}" for c in comment.splitlines()] + ["[cost_model]"]
    for k, v in model.as_dict().items():
        if k == "slow_nodes":
            continue
        if isinstance(v, str):
            lines.append(f'{k} = "{v}"')
        elif isinstance(v, float) and math.isinf(v):
            lines.append(f"{k} = inf")
        else:
            lines.append(f"{k} = {v!r}")
    if model.slow_nodes:
        lines.append("[cost_model.slow_nodes]")
        lines += [f'"{k}" = {v!r}' for k, v in model.slow_nodes.items()]
    return "\n".join(lines) + "\n"


# ============================================================================ replay
def replay(model: CostModel, history: dict, matrices, seeds, samples: int = 1) -> np.ndarray:
    """sim_time at every logged step of a finished run, from its counters alone.

    For runs whose every gossip round has the same cost structure: every matrix in
    ``matrices`` (all matrices the run mixed with, both sides, a whole period) has the same
    number of messages E and the same queue length k (:data:`SERIALIZE` rule). Then,
    since ``floats = sum over rounds of E * width``, ::

        comm = rounds * (overhead + k * latency)
               + (k / bandwidth + 1 / local_bandwidth) * 8 * floats / E

    exactly as :class:`SimClock` adds it up round by round (uncompressed payloads), and the
    compute part is :meth:`SimClock.charge` with ``grad_evals / samples`` calls.

    Parameters
    ----------
    history : dict
        A run's history with ``rounds``, ``floats`` and ``grad_evals`` (one per logged step).
    matrices : list of matrices
        Receiver-first: M[i, j] != 0 (i != j) is a message j -> i.
    seeds : list of int
        The run's seeds (batched runs: all of them).
    samples : int
        Gradient samples per oracle call (``rounds`` R of the run).

    Returns
    -------
    ndarray, shape (logged,) for one seed, (logged, runs) for several.
    """
    mats = list(matrices)
    if not mats:
        raise ValueError("replay needs the run's matrices, got none")
    shapes = {(int(_offdiag(M)[0].size), _max_degree(M, model.serialize)) for M in mats}
    if len(shapes) != 1:
        raise ValueError(f"replay needs rounds of one cost, but the matrices have "
                         f"(messages, queue length) {sorted(shapes)}; log sim_time with "
                         f"decopt.run(..., cost_model=...) instead")
    (E, k), = shapes
    n = mats[0].shape[0]

    def col(key):
        v = np.asarray(history[key], dtype=float)
        return v[:, 0] if v.ndim == 2 else v
    rounds, floats, evals = col("rounds"), col("floats"), col("grad_evals")
    comm = np.zeros_like(rounds)
    if E and k:
        comm = rounds * (model.overhead + k * model.latency) + \
            (k / model.bandwidth + 1.0 / model.local_bandwidth) * 8.0 * floats / E
    clock = SimClock(model, n, seeds)
    out = np.empty((len(rounds), len(clock.seeds)))
    for i, e in enumerate(evals):
        clock.charge(int(round(e / samples)), samples)
        out[i] = comm[i] + clock.compute
    return out[:, 0] if len(clock.seeds) == 1 else out

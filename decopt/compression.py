"""Compression operators for the messages of decentralised methods.

Every operator is a small frozen object applied row-wise (one node's vector at a time)
to arrays of shape ``(m, d)`` or ``(runs, m, d)``, with two numbers that the theory of
compressed methods uses:

- an *unbiased* operator Q satisfies E[Q(x)] = x and E||Q(x) - x||^2 <= omega ||x||^2;
- a *biased contractive* operator C satisfies E||C(x) - x||^2 <= (1 - delta) ||x||^2.

(An unbiased Q with constant omega gives the contractive C = Q / (1 + omega) with
delta = 1/(1 + omega); CHOCO-SGD [2]_ uses this convention.) Each operator states its
constant in its docstring and exposes it as ``omega(d)`` or ``delta(d)``.

``bits(d)`` is the number of bits one compressed d-vector costs on the wire, values
plus indices: float64 values count 64 bits, an index into range(d) counts
``ceil(log2 d)`` bits (0 when d = 1). The network counts it per message
(``net.pull(q, compressor=op)``), so histories can plot accuracy against bits.

Randomness
----------
Random operators draw through :mod:`decopt.streams` with tag ``"compression"``, keyed by
(seed, node id, counter): a node's draw does not depend on the backend or on how nodes
are placed on MPI ranks. Algorithms call :func:`apply`, which takes the counter from the
network's iteration number, the gossip round and a per-call-site number, and the seeds
from ``net.seeds``.

Specs
-----
:func:`parse` turns the strings of ``decopt.run(..., compression=...)``, TOML and the CLI
into operators: ``"topk:0.1"``, ``"randk:0.1"`` (scaled, unbiased),
``"randk_biased:0.1"`` (unscaled, contractive; top-k and rand-k as in [3]_),
``"qsgd:16"`` ([1]_), ``"sign"`` ([4]_), ``"fp16"``, ``"bf16"``, ``"none"``.

References
----------
.. [1] D. Alistarh, D. Grubic, J. Li, R. Tomioka, M. Vojnovic, "QSGD:
   Communication-Efficient SGD via Gradient Quantization and Encoding", NeurIPS 2017,
   arXiv:1610.02132.
.. [2] A. Koloskova, S. Stich, M. Jaggi, "Decentralized Stochastic Optimization and
   Gossip Algorithms with Compressed Communication", ICML 2019, arXiv:1902.00340.
.. [3] S. Stich, J.-B. Cordonnier, M. Jaggi, "Sparsified SGD with Memory", NeurIPS
   2018, arXiv:1809.07599 (top-k and rand-k contraction).
.. [4] J. Bernstein, Y.-X. Wang, K. Azizzadenesheli, A. Anandkumar, "signSGD:
   Compressed Optimisation for Non-Convex Problems", ICML 2018, arXiv:1802.04434;
   S. P. Karimireddy et al., "Error Feedback Fixes SignSGD", arXiv:1901.09847 (the
   scaled sign ||x||_1/d sign(x)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from . import streams

__all__ = ["Compressor", "Identity", "TopK", "RandK", "QSGD", "ScaledSign", "Float16",
           "BFloat16", "parse", "apply", "SPECS"]

#: Call sites per gossip round reserved in the counter of the draws (see :func:`apply`).
SITES = 8


def _index_bits(d: int) -> int:
    return int(math.ceil(math.log2(d))) if d > 1 else 0


def _k_of(ratio: float, d: int) -> int:
    """k = ceil(ratio d), at least 1 and at most d (ratio d rounded to 9 digits first,
    so that 0.3 * 10 gives 3, not 4)."""
    return int(min(d, max(1, math.ceil(round(ratio * d, 9)))))


def _check_ratio(name: str, ratio) -> float:
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float, np.integer,
                                                         np.floating)):
        raise TypeError(f"{name}: ratio must be a number in (0, 1], got {ratio!r}")
    if not (0.0 < float(ratio) <= 1.0):
        raise ValueError(f"{name}: ratio must be in (0, 1], got {ratio!r}")
    return float(ratio)


@dataclass(frozen=True)
class Compressor:
    """Base class: ``op(x, seed=0, nodes=None, counter=0)`` compresses each row of x.

    Calling ``op(x, seed, nodes, counter)`` takes:

    x : array (m, d) or (runs, m, d)
        The dense vectors, one per node (per run).
    seed : int or list of int
        The run's seed; a list (one per run) when x has a leading runs axis.
    nodes : array of int or None
        Global ids of the m rows (default ``arange(m)``): the draws of row i depend on
        ``nodes[i]``, never on its position in x.
    counter : int
        Distinguishes draws of different rounds and call sites.

    Returns the compressed vectors as float64 (dense), same shape as x.
    """

    unbiased: ClassVar[bool] = False
    random: ClassVar[bool] = False
    spec: ClassVar[str] = ""

    def __call__(self, x, seed=0, nodes=None, counter=0):
        x = np.asarray(x, dtype=np.float64)
        if x.ndim not in (2, 3):
            raise ValueError(f"{self}: expected an array of shape (m, d) or (runs, m, d), "
                             f"got shape {x.shape}")
        if nodes is None:
            nodes = np.arange(x.shape[-2])
        if not self.random:
            return self._apply(x, None)
        if x.ndim == 3:
            seeds = list(seed) if isinstance(seed, (list, tuple)) else [seed] * x.shape[0]
            if len(seeds) != x.shape[0]:
                raise ValueError(f"{self}: {len(seeds)} seed(s) for {x.shape[0]} runs")
            return np.stack([self._apply(xs, self._draws(s, nodes, counter, xs.shape[-1]))
                             for xs, s in zip(x, seeds)])
        if isinstance(seed, (list, tuple)):
            seed = seed[0]
        return self._apply(x, self._draws(seed, nodes, counter, x.shape[-1]))

    def _draws(self, seed, nodes, counter, d):
        return streams.uniform(seed, "compression", counter, nodes, d)

    def _apply(self, x, u):  # pragma: no cover - abstract
        raise NotImplementedError

    def bits(self, d: int) -> int:
        """Bits on the wire for one compressed d-vector (values plus indices)."""
        return 64 * int(d)

    def omega(self, d: int) -> float | None:
        """Variance constant of an unbiased operator (None if biased)."""
        return None

    def delta(self, d: int) -> float:
        """Contraction constant: E||C(x) - x||^2 <= (1 - delta) ||x||^2 (for an
        unbiased operator, that of the scaled operator Q/(1 + omega))."""
        w = self.omega(d)
        return 1.0 / (1.0 + w)

    def __str__(self):
        return self.spec


@dataclass(frozen=True)
class Identity(Compressor):
    """No compression: C(x) = x (omega = 0, delta = 1); 64 bits per float64 value."""

    unbiased: ClassVar[bool] = True
    spec: ClassVar[str] = "none"

    def _apply(self, x, u):
        return x.copy()

    def omega(self, d):
        return 0.0


@dataclass(frozen=True)
class TopK(Compressor):
    """Top-k sparsification: keep the k = ceil(ratio d) entries of largest magnitude.

    Biased contractive with delta = k/d: ||C(x) - x||^2 <= (1 - k/d) ||x||^2
    (deterministically; the dropped d - k entries are the smallest) [3].
    Bits: k (64 + ceil(log2 d)) -- k float64 values and k indices of ceil(log2 d) bits.
    Ties are broken by numpy's ``argpartition`` on the row alone, so the result does not
    depend on the other rows (nor on the backend).
    """

    ratio: float

    spec: ClassVar[str] = "topk"

    def __post_init__(self):
        object.__setattr__(self, "ratio", _check_ratio("topk", self.ratio))

    def __str__(self):
        return f"topk:{self.ratio:g}"

    def _apply(self, x, u):
        d = x.shape[-1]
        k = _k_of(self.ratio, d)
        if k == d:
            return x.copy()
        idx = np.argpartition(-np.abs(x), k - 1, axis=-1)[..., :k]
        out = np.zeros_like(x)
        np.put_along_axis(out, idx, np.take_along_axis(x, idx, axis=-1), axis=-1)
        return out

    def bits(self, d):
        return _k_of(self.ratio, d) * (64 + _index_bits(d))

    def omega(self, d):
        return None

    def delta(self, d):
        return _k_of(self.ratio, d) / d


@dataclass(frozen=True)
class RandK(Compressor):
    """Rand-k sparsification: keep k = ceil(ratio d) coordinates chosen uniformly at
    random (without replacement, per node and round).

    ``scaled=True`` (``"randk:r"``): multiply the kept entries by d/k. Unbiased,
    E||Q(x) - x||^2 = (d/k - 1) ||x||^2, so omega = d/k - 1.
    ``scaled=False`` (``"randk_biased:r"``): keep them as they are. Biased contractive,
    E||C(x) - x||^2 = (1 - k/d) ||x||^2, so delta = k/d [3].
    Bits: k (64 + ceil(log2 d)), indices counted (a receiver sharing the seed could
    regenerate them; the count does not assume it).
    """

    ratio: float
    scaled: bool = True

    random: ClassVar[bool] = True

    def __post_init__(self):
        object.__setattr__(self, "ratio", _check_ratio(
            "randk" if self.scaled else "randk_biased", self.ratio))

    @property
    def unbiased(self):  # type: ignore[override]
        return bool(self.scaled)

    def __str__(self):
        return f"{'randk' if self.scaled else 'randk_biased'}:{self.ratio:g}"

    def _apply(self, x, u):
        d = x.shape[-1]
        k = _k_of(self.ratio, d)
        if k == d:
            return x.copy()
        idx = np.argpartition(u, k - 1, axis=-1)[..., :k]   # k smallest uniforms
        out = np.zeros_like(x)
        vals = np.take_along_axis(x, idx, axis=-1)
        np.put_along_axis(out, idx, vals * (d / k) if self.scaled else vals, axis=-1)
        return out

    def bits(self, d):
        return _k_of(self.ratio, d) * (64 + _index_bits(d))

    def omega(self, d):
        return d / _k_of(self.ratio, d) - 1.0 if self.scaled else None

    def delta(self, d):
        return _k_of(self.ratio, d) / d


@dataclass(frozen=True)
class QSGD(Compressor):
    """s-level stochastic quantisation (QSGD [1], Section 3.1).

    Q(x)_j = ||x||_2 sign(x_j) xi_j, where with l = floor(s abs(x_j) / ||x||_2),
    xi_j = (l + 1)/s with probability s abs(x_j)/||x||_2 - l and l/s otherwise.
    Unbiased, with omega = min(d/s^2, sqrt(d)/s) ([1], Lemma 3.1).
    Bits: 64 + d (1 + ceil(log2(s + 1))) -- the norm as float64, then a sign bit and a
    level in {0, ..., s} per coordinate (fixed-length code; the Elias code of [1] is
    shorter for sparse outputs).
    """

    levels: int

    random: ClassVar[bool] = True
    unbiased: ClassVar[bool] = True

    def __post_init__(self):
        s = self.levels
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1:
            raise ValueError(f"qsgd: the number of levels s must be an int >= 1, got {s!r}")
        object.__setattr__(self, "levels", int(s))

    def __str__(self):
        return f"qsgd:{self.levels}"

    def _apply(self, x, u):
        s = self.levels
        norm = np.linalg.norm(x, axis=-1, keepdims=True)
        safe = np.where(norm > 0, norm, 1.0)
        r = s * np.abs(x) / safe
        lo = np.floor(r)
        level = lo + (u < (r - lo))
        return np.where(norm > 0, norm * np.sign(x) * level / s, 0.0)

    def bits(self, d):
        return 64 + int(d) * (1 + int(math.ceil(math.log2(self.levels + 1))))

    def omega(self, d):
        return min(d / self.levels ** 2, math.sqrt(d) / self.levels)


@dataclass(frozen=True)
class ScaledSign(Compressor):
    """Scaled sign: C(x) = (||x||_1 / d) sign(x), with sign(0) = +1 [4].

    Biased contractive: ||C(x) - x||^2 = ||x||^2 - ||x||_1^2 / d exactly, so
    delta(x) = ||x||_1^2 / (d ||x||_2^2) >= 1/d; ``delta(d)`` returns the worst case 1/d.
    Bits: 64 + d (the scale as float64 and one bit per coordinate).
    """

    spec: ClassVar[str] = "sign"

    def _apply(self, x, u):
        d = x.shape[-1]
        scale = np.abs(x).sum(axis=-1, keepdims=True) / d
        return scale * np.where(x >= 0, 1.0, -1.0)

    def bits(self, d):
        return 64 + int(d)

    def delta(self, d):
        return 1.0 / d


@dataclass(frozen=True)
class Float16(Compressor):
    """IEEE half precision: round each value to float16 (nearest, ties to even).

    Relative error per entry <= u = 2^-11 for abs(x_j) in the normal range
    [6.1e-5, 65504], so ||C(x) - x||^2 <= u^2 ||x||^2 there (delta = 1 - 2^-22);
    smaller entries lose relative accuracy (subnormals, absolute error <= 2^-25) and
    entries beyond 65504 overflow to +-inf (the run then reports divergence).
    Bits: 16 d.
    """

    spec: ClassVar[str] = "fp16"

    def _apply(self, x, u):
        with np.errstate(over="ignore"):
            return x.astype(np.float16).astype(np.float64)

    def bits(self, d):
        return 16 * int(d)

    def delta(self, d):
        return 1.0 - 2.0 ** -22


@dataclass(frozen=True)
class BFloat16(Compressor):
    """bfloat16: float32's 8-bit exponent with an 8-bit significand.

    Computed in numpy by rounding to float32, then rounding the float32 bit pattern to
    its upper 16 bits (round to nearest, ties to even, on the integer view). Relative
    error per entry <= 2^-8 + 2^-24 (the second term from the float32 step) for
    abs(x_j) in float32's normal range; beyond 3.4e38 entries become inf.
    Bits: 16 d.
    """

    spec: ClassVar[str] = "bf16"

    def _apply(self, x, u):
        with np.errstate(over="ignore"):
            f = np.ascontiguousarray(x, dtype=np.float32)
        b = f.view(np.uint32)
        finite = np.isfinite(f)
        lsb = (b >> np.uint32(16)) & np.uint32(1)
        with np.errstate(over="ignore"):
            r = (b + np.uint32(0x7FFF) + lsb) & np.uint32(0xFFFF0000)
        r = np.where(finite, r, b & np.uint32(0xFFFF0000))
        return r.view(np.float32).astype(np.float64)

    def bits(self, d):
        return 16 * int(d)

    def delta(self, d):
        return 1.0 - (2.0 ** -8 + 2.0 ** -24) ** 2


#: Spec names and what they take.
SPECS = {
    "none": "no compression",
    "topk": "topk:RATIO, RATIO in (0, 1]",
    "randk": "randk:RATIO (scaled by d/k, unbiased)",
    "randk_biased": "randk_biased:RATIO (unscaled, contractive)",
    "qsgd": "qsgd:S, S >= 1 levels",
    "sign": "scaled sign",
    "fp16": "float16 cast",
    "bf16": "bfloat16 cast",
}


def parse(spec) -> Compressor:
    """An operator from a spec string (``"topk:0.1"``, ...), an operator, or None
    (no compression). Bad specs raise ValueError naming the spec and the valid ones."""
    if spec is None:
        return Identity()
    if isinstance(spec, Compressor):
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"compression must be a spec string ({', '.join(SPECS)}) or a "
                        f"decopt.compression operator, got {type(spec).__name__} {spec!r}")
    valid = "; ".join(SPECS.values())
    name, _, arg = spec.strip().partition(":")
    name = name.strip().lower()
    arg = arg.strip()
    if name not in SPECS:
        raise ValueError(f"unknown compression {spec!r}; expected one of: {valid}")
    needs_arg = name in ("topk", "randk", "randk_biased", "qsgd")
    if needs_arg and not arg:
        raise ValueError(f"compression {spec!r} needs a parameter: {SPECS[name]}")
    if not needs_arg and arg:
        raise ValueError(f"compression {spec!r}: {name!r} takes no parameter")
    if name in ("topk", "randk", "randk_biased"):
        try:
            ratio = float(arg)
        except ValueError:
            raise ValueError(f"compression {spec!r}: ratio {arg!r} is not a number; "
                             f"expected {SPECS[name]}") from None
        if not (0.0 < ratio <= 1.0):
            raise ValueError(f"compression {spec!r}: ratio {ratio:g} is outside (0, 1]")
        if name == "topk":
            return TopK(ratio)
        return RandK(ratio, scaled=(name == "randk"))
    if name == "qsgd":
        try:
            s = int(arg)
        except ValueError:
            raise ValueError(f"compression {spec!r}: levels {arg!r} is not an int; "
                             f"expected {SPECS[name]}") from None
        if s < 1:
            raise ValueError(f"compression {spec!r}: levels {s} must be >= 1")
        return QSGD(s)
    return {"none": Identity, "sign": ScaledSign, "fp16": Float16, "bf16": BFloat16}[name]()


def apply(op: Compressor, x, net, *, site: int = 0, gossip_round: int = 0):
    """``op(x)`` with the draws of this network's run: seeds ``net.seeds`` (default
    [0]), the hosted node ids, and the counter ``(k R + r) * SITES + site`` for
    iteration k, gossip round r of R, and a call-site number ``site < SITES`` (two
    compressions in one round use different sites)."""
    if not 0 <= site < SITES:
        raise ValueError(f"site must be in [0, {SITES}), got {site}")
    seeds = getattr(net, "seeds", None) or [0]
    counter = (net.step * net.rounds + gossip_round) * SITES + site
    return op(x, seed=list(seeds), nodes=net.nodes, counter=counter)

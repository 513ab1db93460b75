"""Broken networks, methods and calculators: the negative controls of ``decopt verify``.

Each mutation is a context manager that breaks one ingredient for the duration of a
``with`` block, so a claim of :mod:`decopt.verify` can be run against it and shown to
FAIL (tests/verification/test_mutations.py). They patch module attributes in place and
restore them on exit; they are meant for tests, not for use alongside other threads.

Mutations
---------
``no_communication()``
    Every mixing matrix handed to a network is replaced by the identity: nodes never
    hear from each other (both backends: the patch is in the base class ``Network``).
``single_round()``
    Multi-step gossip is a no-op: a network applies its matrix once whatever ``rounds``
    says (MG-Pull-Diag-GT degenerates to plain Pull-Diag-GT).
``pull_diag_without_correction()``
    ``pull_diag_gt`` runs with ``D_k = I`` (gradient tracking over a row-stochastic A
    without the diagonal correction of [LCLY25]): it minimises sum_i pi_i f_i.
``push_pull_tracker_by_row()``
    ``push_pull``/``ab`` mix the gradient tracker by the row-stochastic A instead of the
    column-stochastic B, so 1^T Y no longer tracks the sum of gradients ([PSXN21]).
``dsgd_instead_of_gt()``
    ``gt`` is replaced by DSGD, whose heterogeneity bias floor does not shrink with n.
``uniform_pi()``
    ``topologies.perron_vector`` returns the uniform vector (the doubly stochastic
    intuition applied to a row-stochastic matrix).
``transient_without_square()``
    :func:`decopt.theory.transient_iterations` forgets the square of the network factor.
``choco_without_memory()``
    ``choco`` compresses the iterate itself instead of the difference to its public copy
    x_hat (:class:`decopt.algorithms.compressed.DirectCompressedGossip`): the
    compression error never decays ([KSJ19]).
``randk_unscaled()``
    ``compression.RandK`` forgets the d/k scaling (biased) while claiming omega = d/k - 1.
``topk_keeps_smallest()``
    ``compression.TopK`` keeps the k entries of smallest magnitude (same claimed delta).
``fedavg_without_server()``
    ``fedavg`` skips the server step: every client keeps its own local model.
``scaffold_without_control()``
    ``scaffold`` runs with ``control=False`` (zero control variates): FedAvg's drift.
``qffl_inverse_weights()``
    ``qffl`` weighs the clients by F_i^-q instead of F_i^q (favours the well-served).
``push_mass_vanishes()``
    A sender drops the push mass it could not deliver (columns no longer sum to 1 under
    link failures): Push-Pull's tracker loses 1^T Y = 1^T g.
``links_never_fail()``
    Networks ignore ``link_failure`` and ``activation`` (every link delivers, every node
    wakes): the methods the scope row says are biased become exact.

References
----------
.. [LCLY25] arXiv:2506.04600.  .. [PSXN21] arXiv:1810.06653.
.. [KSJ19] arXiv:1902.00340.
"""

from __future__ import annotations

import contextlib
import dataclasses

import numpy as np
import scipy.sparse as sp

from .algorithms.fair import LOSS_FLOOR, QFFL, QFFLState
from .algorithms.federated import local_sgd

__all__ = ["no_communication", "single_round", "pull_diag_without_correction",
           "push_pull_tracker_by_row", "dsgd_instead_of_gt", "uniform_pi",
           "transient_without_square", "choco_without_memory", "randk_unscaled",
           "topk_keeps_smallest", "fedavg_without_server", "scaffold_without_control",
           "qffl_inverse_weights", "push_mass_vanishes", "links_never_fail", "MUTATIONS"]


@contextlib.contextmanager
def _patched(obj, attr, value):
    old = getattr(obj, attr)
    setattr(obj, attr, value)
    try:
        yield
    finally:
        setattr(obj, attr, old)


@contextlib.contextmanager
def no_communication():
    """Every network built inside the block mixes by the identity matrix."""
    from . import network

    orig = network.Network.__init__

    def init(self, n, nodes, row=None, col=None, rounds=1, *args, **kwargs):
        eye = sp.identity(int(n), format="csr")
        row = None if row is None else [eye for _ in row]
        col = None if col is None else [eye for _ in col]
        orig(self, n, nodes, row, col, rounds, *args, **kwargs)

    with _patched(network.Network, "__init__", init):
        yield


@contextlib.contextmanager
def single_round():
    """Networks built inside the block ignore ``rounds`` (one gossip round per call)."""
    from . import network

    orig = network.Network.__init__

    def init(self, n, nodes, row=None, col=None, rounds=1, *args, **kwargs):
        orig(self, n, nodes, row, col, 1, *args, **kwargs)

    with _patched(network.Network, "__init__", init):
        yield


@contextlib.contextmanager
def _swap_algorithms(mapping):
    from . import algorithms

    reg = algorithms.ALGORITHMS
    old = {k: reg[k] for k in mapping}
    reg.update(mapping)
    try:
        yield
    finally:
        reg.update(old)


def pull_diag_without_correction():
    """``pull_diag_gt`` with ``diag_correction=False`` (D_k = I)."""
    from .algorithms import PullDiagGT

    @dataclasses.dataclass(frozen=True)
    class PullDiagGTNoCorrection(PullDiagGT):
        diag_correction: bool = False

    return _swap_algorithms({"pull_diag_gt": PullDiagGTNoCorrection})


def push_pull_tracker_by_row():
    """``push_pull`` and ``ab`` with the tracker mixed by A (``net.pull``), not B."""
    from .algorithms import AB, PushPull
    from .algorithms.push_pull import PushPullState

    def step(self, s, oracle, net):
        if self.form == "atc":
            x = net.pull(s.x - self.alpha * s.y)
        else:
            x = net.pull(s.x) - self.alpha * s.y
        g = oracle.grad(x)
        y = net.pull(s.y) + g - s.g                  # wrong: A instead of B
        return PushPullState(x, y, g)

    @dataclasses.dataclass(frozen=True)
    class PushPullWrongTracker(PushPull):
        pass

    @dataclasses.dataclass(frozen=True)
    class ABWrongTracker(AB):
        pass

    PushPullWrongTracker.step = step
    ABWrongTracker.step = step
    return _swap_algorithms({"push_pull": PushPullWrongTracker, "ab": ABWrongTracker})


def dsgd_instead_of_gt():
    """``gt`` runs DSGD (no tracking): an O(alpha zeta^2/(1 - beta)^2) bias floor."""
    from .algorithms import DSGD

    return _swap_algorithms({"gt": DSGD})


@contextlib.contextmanager
def uniform_pi():
    """``topologies.perron_vector`` returns 1/n (wrong for non-doubly-stochastic M)."""
    import topologies
    from topologies import metrics

    def perron_vector(M, side="row"):
        return np.full(M.shape[0], 1.0 / M.shape[0])

    with _patched(metrics, "perron_vector", perron_vector), \
            _patched(topologies, "perron_vector", perron_vector):
        yield


@contextlib.contextmanager
def transient_without_square():
    """K_T = n L Delta c / sigma^2 instead of n L Delta c^2 / sigma^2."""
    from . import theory

    def transient_iterations(n, L, delta, sigma, kappa, beta):
        c = theory.network_factor(n, kappa, beta)
        return n * L * delta * c / sigma ** 2

    with _patched(theory, "transient_iterations", transient_iterations):
        yield


def choco_without_memory():
    """``choco`` compresses x itself, with no public copy (DirectCompressedGossip)."""
    from .algorithms.compressed import DirectCompressedGossip

    return _swap_algorithms({"choco": DirectCompressedGossip})


@contextlib.contextmanager
def randk_unscaled():
    """``compression.RandK(r)`` builds the unscaled (biased) rand-k."""
    from . import compression

    @dataclasses.dataclass(frozen=True)
    class UnscaledRandK(compression.RandK):
        scaled: bool = False

        def omega(self, d):                 # still claims the scaled operator's omega
            return d / compression._k_of(self.ratio, d) - 1.0

    def unscaled(ratio, scaled=True):
        return UnscaledRandK(ratio)

    with _patched(compression, "RandK", unscaled):
        yield


@contextlib.contextmanager
def topk_keeps_smallest():
    """``compression.TopK(r)`` keeps the k smallest entries (same k, same delta)."""
    from . import compression

    @dataclasses.dataclass(frozen=True)
    class BottomK(compression.TopK):
        def _apply(self, x, u):
            k = compression._k_of(self.ratio, x.shape[-1])
            idx = np.argsort(np.abs(x), axis=-1)[..., :k]
            out = np.zeros_like(x)
            np.put_along_axis(out, idx, np.take_along_axis(x, idx, axis=-1), axis=-1)
            return out

    with _patched(compression, "TopK", BottomK):
        yield


def fedavg_without_server():
    """``fedavg`` without the server step (clients keep their local models)."""
    from .algorithms.federated import FedAvg, FedAvgState

    @dataclasses.dataclass(frozen=True)
    class FedAvgNoServer(FedAvg):
        def step(self, s, oracle, net):
            return FedAvgState(self.client_update(s, oracle, net), s.m, s.v)

    return _swap_algorithms({"fedavg": FedAvgNoServer})


def scaffold_without_control():
    """``scaffold`` with ``control=False``: zero control variates (FedAvg)."""
    from .algorithms.federated import Scaffold

    @dataclasses.dataclass(frozen=True)
    class ScaffoldNoControl(Scaffold):
        control: bool = False

    return _swap_algorithms({"scaffold": ScaffoldNoControl})


@dataclasses.dataclass(frozen=True)
class InverseQFFL(QFFL):
    """q-FFL weighing the clients by F_i^-q instead of F_i^q (favours the clients that
    already do well): the control of the q-FFL fairness claim."""

    def step(self, s, oracle, net):
        L = 1.0 / self.alpha
        F = oracle.losses(s.x) + LOSS_FLOOR
        y, _ = local_sgd(s.x, oracle, self.alpha, self.local_steps)
        dw = L * (s.x - y)
        Fq = F ** (-self.q)
        D, H = net.average(Fq[..., None] * dw, (L * Fq)[..., None])
        return QFFLState(s.x - D / H)


def qffl_inverse_weights():
    """``qffl`` with the client weights F_i^-q instead of F_i^q (:class:`InverseQFFL`)."""
    return _swap_algorithms({"qffl": InverseQFFL})


#: name -> context-manager factory.
@contextlib.contextmanager
def push_mass_vanishes():
    """Networks built inside the block drop undelivered push mass (``vanish=True``)."""
    from . import network

    orig = network.Network.__init__

    def init(self, *args, **kwargs):
        orig(self, *args, **kwargs)
        self.vanish = True

    with _patched(network.Network, "__init__", init):
        yield


@contextlib.contextmanager
def links_never_fail():
    """Networks built inside the block ignore ``link_failure`` and ``activation``."""
    from . import network

    orig = network.Network.__init__

    def init(self, *args, **kwargs):
        kwargs.update(link_failure=0.0, activation=1.0)
        orig(self, *args, **kwargs)

    with _patched(network.Network, "__init__", init):
        yield


MUTATIONS = {
    "no_communication": no_communication,
    "single_round": single_round,
    "pull_diag_without_correction": pull_diag_without_correction,
    "push_pull_tracker_by_row": push_pull_tracker_by_row,
    "dsgd_instead_of_gt": dsgd_instead_of_gt,
    "uniform_pi": uniform_pi,
    "transient_without_square": transient_without_square,
    "choco_without_memory": choco_without_memory,
    "randk_unscaled": randk_unscaled,
    "topk_keeps_smallest": topk_keeps_smallest,
    "fedavg_without_server": fedavg_without_server,
    "scaffold_without_control": scaffold_without_control,
    "qffl_inverse_weights": qffl_inverse_weights,
    "push_mass_vanishes": push_mass_vanishes,
    "links_never_fail": links_never_fail,
}

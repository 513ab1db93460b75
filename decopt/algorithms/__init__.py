"""The algorithms of ALGORITHMS.md §3, each written once as the paper's recursion.

Adding an algorithm means adding a class and a row in ``ALGORITHMS``; the conformance
table in the tests picks it up.
"""

from __future__ import annotations

import dataclasses

from .base import Algorithm
from .compressed import CHOCO, CPP, EFDSGD
from .doubly import DSGD, GT, ExactDiffusion
from .push_pull import AB, PushPull
from .push_sum import SGP, PushDIGing
from .row import FROST, PullDiagGD, PullDiagGT

ALGORITHMS: dict[str, type[Algorithm]] = {
    "dsgd": DSGD,
    "gt": GT,
    "exact_diffusion": ExactDiffusion,
    "sgp": SGP,
    "push_diging": PushDIGing,
    "frost": FROST,
    "pull_diag_gd": PullDiagGD,
    "pull_diag_gt": PullDiagGT,
    "push_pull": PushPull,
    "ab": AB,
    # compressed communication (decopt.compression): the `compression` field
    "choco": CHOCO,
    "cpp": CPP,
    "ef_dsgd": EFDSGD,
}

#: Multi-step-gossip aliases: name -> (algorithm, note). ``rounds`` must be given.
MG_ALIASES = {"mg_" + name: name for name in ALGORITHMS}


def make(name: str, alpha: float, **options) -> Algorithm:
    """Build an algorithm by name; unknown names or options raise ValueError."""
    base = MG_ALIASES.get(name, name)
    if base not in ALGORITHMS:
        raise ValueError(
            f"unknown algorithm {name!r}; expected one of {', '.join(ALGORITHMS)} "
            f"(or an mg_ prefix, e.g. mg_pull_diag_gt, with rounds=R)")
    cls = ALGORITHMS[base]
    valid = {f.name for f in dataclasses.fields(cls) if f.name != "alpha"}
    bad = set(options) - valid
    if bad:
        raise ValueError(
            f"unknown option(s) {sorted(bad)} for algorithm {name!r}; valid options: "
            f"{sorted(valid) or 'none'}")
    return cls(alpha, **options)


__all__ = ["ALGORITHMS", "Algorithm", "make", "DSGD", "GT", "ExactDiffusion", "SGP",
           "PushDIGing", "FROST", "PullDiagGD", "PullDiagGT", "PushPull", "AB", "CHOCO", "CPP", "EFDSGD"]

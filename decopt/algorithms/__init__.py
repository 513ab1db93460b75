"""The algorithms, each written once as the paper's recursion, and their registry.

Built-in names: ``dsgd``, ``gt``, ``exact_diffusion``, ``sgp``, ``push_diging``,
``frost``, ``pull_diag_gd``, ``pull_diag_gt``, ``push_pull``, ``ab``. Every registered
name ``X`` also answers to ``mg_X`` (multi-step gossip: ``X`` with ``rounds=R > 1``).

Adding an algorithm (see :class:`decopt.algorithms.base.Algorithm` for the contract):

- in a script or package: ``decopt.register_algorithm("hb_push_pull", HBPushPull)``, or
  ``@decopt.register_algorithm("hb_push_pull")`` above the class;
- without registering: an import path ``"package.module:Class"`` works wherever a name
  does (``decopt.run``, ``[[algorithm]] name`` of a study, ``decopt run --algorithm``);
- from an installed package: an entry point in the group ``decopt.algorithms``
  (``hb_push_pull = "mypkg.methods:HBPushPull"`` under
  ``[project.entry-points."decopt.algorithms"]``), loaded the first time a name is not
  found;
- in this package: a class in one of the family modules and a row in ``ALGORITHMS``; the
  conformance table of the tests picks it up.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

from ..imports import is_import_path, load_object
from .base import Algorithm
from .compressed import CHOCO, CPP, EFDSGD
from .doubly import DSGD, GT, ExactDiffusion
from .fair import QFFL, AdaFedAdam
from .federated import FedAdagrad, FedAdam, FedAvg, FedProx, FedYogi, Scaffold
from .local import KGT, LED, LocalDSGD
from .push_pull import AB, PushPull
from .push_sum import SGP, PushDIGing
from .row import FROST, PullDiagGD, PullDiagGT

#: Entry-point group through which installed packages add algorithms.
ENTRY_POINT_GROUP = "decopt.algorithms"

#: Registered algorithms: name -> class (the built-ins, then registered ones).
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
    # local steps (decentralised) and federated methods (a server: net.average)
    "local_dsgd": LocalDSGD,
    "kgt": KGT,
    "led": LED,
    "fedavg": FedAvg,
    "fedadam": FedAdam,
    "fedyogi": FedYogi,
    "fedadagrad": FedAdagrad,
    "fedprox": FedProx,
    "scaffold": Scaffold,
    "qffl": QFFL,
    "adafedadam": AdaFedAdam,
    # compressed communication (decopt.compression): the `compression` field
    "choco": CHOCO,
    "cpp": CPP,
    "ef_dsgd": EFDSGD,
}

#: Algorithms whose only communication is the server verb ``net.average`` (no ``mg_``
#: alias: multi-step gossip has no meaning without gossip).
SERVER_METHODS = tuple(k for k, c in ALGORITHMS.items() if c.weights == "server")

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_entry_points_loaded = False


class _MGAliases(Mapping):
    """``"mg_<name>" -> "<name>"`` for every registered name (a live view)."""

    def __getitem__(self, key):
        if isinstance(key, str) and key.startswith("mg_") and key[3:] in ALGORITHMS and \
                ALGORITHMS[key[3:]].weights != "server":
            return key[3:]
        raise KeyError(key)

    def __iter__(self):
        return iter(["mg_" + k for k, c in ALGORITHMS.items() if c.weights != "server"])

    def __len__(self):
        return sum(1 for _ in self)


#: Multi-step-gossip aliases: ``mg_<name>`` -> ``<name>`` (``rounds`` must be > 1).
MG_ALIASES = _MGAliases()


def register_algorithm(name: str, cls: type[Algorithm] | None = None, *,
                       overwrite: bool = False):
    """Register an algorithm class under ``name`` (and ``mg_<name>``).

    Parameters
    ----------
    name : str
        Lower-case letters, digits and ``_``, starting with a letter, not starting with
        ``mg_``.
    cls : type or None
        A subclass of :class:`decopt.algorithms.Algorithm` (a frozen dataclass). When
        omitted, returns a decorator: ``@decopt.register_algorithm("name")``.
    overwrite : bool
        Replace an existing registration of ``name`` by another class (registering the
        same class again is always allowed).

    Returns
    -------
    cls, or a decorator that registers and returns its class.

    Raises
    ------
    TypeError
        When ``cls`` is not an Algorithm subclass.
    ValueError
        On a malformed name, or a name taken by another class without ``overwrite``.

    Examples
    --------
    >>> import decopt
    >>> @decopt.register_algorithm("my_dsgd")
    ... class MyDSGD(decopt.algorithms.DSGD):
    ...     pass
    >>> decopt.algorithms.make("mg_my_dsgd", 0.1)
    MyDSGD(alpha=0.1)
    """
    if not isinstance(name, str) or not _NAME_RE.match(name) or name.startswith("mg_"):
        raise ValueError(f"algorithm name {name!r} must be lower-case letters, digits and "
                         f"'_', start with a letter and not start with 'mg_' (which "
                         f"marks the multi-step gossip alias)")
    if cls is None:
        return lambda c: register_algorithm(name, c, overwrite=overwrite)
    if not (isinstance(cls, type) and issubclass(cls, Algorithm)):
        raise TypeError(f"register_algorithm({name!r}, ...) needs a subclass of "
                        f"decopt.algorithms.Algorithm, got {cls!r}")
    old = ALGORITHMS.get(name)
    if old is not None and old is not cls and not overwrite:
        raise ValueError(f"algorithm name {name!r} is already registered to "
                         f"{old.__module__}.{old.__qualname__}; choose another name or "
                         f"pass overwrite=True")
    ALGORITHMS[name] = cls
    return cls


def _load_entry_points() -> None:
    """Register the algorithms of installed packages (group ``decopt.algorithms``), once."""
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    from importlib.metadata import entry_points
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in ALGORITHMS:
            continue
        try:
            cls = ep.load()
        except Exception as e:   # a broken plugin must not hide the built-ins
            raise ValueError(f"entry point {ep.name!r} = {ep.value!r} of group "
                             f"{ENTRY_POINT_GROUP!r} failed to load: {e}") from e
        register_algorithm(ep.name, cls)


def names() -> list[str]:
    """Every registered name (entry points included), without the ``mg_`` aliases."""
    _load_entry_points()
    return list(ALGORITHMS)


def lookup(name: str) -> tuple[type[Algorithm], bool]:
    """The class for a name and whether the name asks for multi-step gossip.

    ``name`` is a registered name, ``mg_<registered name>``, or an import path
    ``"package.module:Class"``.

    Raises
    ------
    ValueError
        Unknown name (listing the valid names and how to register one), or an import path
        that fails (naming the module or attribute) or does not lead to an Algorithm.
    """
    if not isinstance(name, str):
        raise TypeError(f"algorithm must be a name, an import path 'package.module:Class' "
                        f"or an Algorithm object, got {name!r}")
    if is_import_path(name):
        cls = load_object(name, "algorithm")
        if not (isinstance(cls, type) and issubclass(cls, Algorithm)):
            raise ValueError(f"algorithm import path {name!r} leads to {cls!r}, not a "
                             f"subclass of decopt.algorithms.Algorithm")
        return cls, False
    mg = name.startswith("mg_")
    base = name[3:] if mg else name
    if base not in ALGORITHMS:
        _load_entry_points()
    if base not in ALGORITHMS:
        raise ValueError(
            f"unknown algorithm {name!r}; expected one of {', '.join(ALGORITHMS)} (or "
            f"mg_<name> with rounds=R > 1, e.g. mg_pull_diag_gt), an import path "
            f"'package.module:Class', or a name registered with "
            f"decopt.register_algorithm(name, cls)")
    if mg and ALGORITHMS[base].weights == "server":
        raise ValueError(f"unknown algorithm {name!r}: {base!r} communicates only with a "
                         f"server (net.average), so it has no multi-step gossip variant")
    return ALGORITHMS[base], mg


def options_of(cls: type[Algorithm]) -> list[str]:
    """The option names of an algorithm class (its dataclass fields except alpha)."""
    return [f.name for f in dataclasses.fields(cls) if f.name != "alpha"]


def make(name: str, alpha: float, **options) -> Algorithm:
    """Build an algorithm from a name (or import path); unknown names or options raise
    ValueError.

    This is the one place where an algorithm name is turned into an object: the run
    resolution (:func:`decopt.resolve.resolve_run`) calls it once per run.
    """
    cls, _ = lookup(name)
    valid = set(options_of(cls))
    bad = set(options) - valid
    if bad:
        raise ValueError(
            f"unknown option(s) {sorted(bad)} for algorithm {name!r}; valid options: "
            f"{sorted(valid) or 'none'}")
    return cls(alpha, **options)


def name_of(alg: Algorithm) -> str:
    """The registered name of an algorithm object's class, else its import path."""
    for k, c in ALGORITHMS.items():
        if type(alg) is c:
            return k
    t = type(alg)
    return f"{t.__module__}:{t.__qualname__}"


__all__ = ["ALGORITHMS", "MG_ALIASES", "Algorithm", "make", "lookup", "names", "name_of",
           "options_of", "register_algorithm", "ENTRY_POINT_GROUP", "DSGD", "GT",
           "ExactDiffusion", "SGP", "PushDIGing", "FROST", "PullDiagGD", "PullDiagGT",
           "PushPull", "AB", "LocalDSGD", "KGT", "LED", "FedAvg", "FedAdam", "FedYogi",
           "FedAdagrad", "FedProx", "Scaffold", "QFFL", "AdaFedAdam", "SERVER_METHODS", "CHOCO", "CPP", "EFDSGD"]

"""The run options: one table from which ``decopt.run``'s checks, the TOML keys of a
study and the flags of ``decopt run`` derive.

Each :class:`RunOption` row gives an option's name (the same in Python, TOML and on the
command line, with ``-`` for ``_`` in the flag), its default, the function that checks a
value, where it lives in a study file (``study`` for ``[study]``, ``algorithm`` for
``[[algorithm]]``, ``topology`` for ``[topology]``), its CLI flag and a help line.

How to add an option
--------------------
The options ``compression``, ``link_failure``, ``activation``, ``local_steps``,
``participation`` and ``cost_model`` were added this way:

1. Add a row to :data:`RUN_OPTIONS`, e.g.::

       RunOption("link_failure", 0.0, _number(0.0), "study", "--link-failure", float,
                 "probability that a link drops a message in a round"),

   The value is checked by ``check`` (raise TypeError/ValueError naming it), and from
   then on ``decopt.run(link_failure=...)`` accepts the keyword (it reaches the runner in
   ``ResolvedRun.options``), ``[study] link_failure = 0.1`` is a valid TOML key (it is
   carried by :class:`decopt.study.RunSpec` ``extra`` and recorded in the run's config
   only when it differs from the default, so earlier results stay valid), and
   ``decopt run --link-failure 0.1`` is a flag of the single-run command.
2. Add the runner hook: read ``resolved.options["link_failure"]`` where the network or
   the oracle is built (:func:`decopt.resolve.execute_run` / ``make_network``) and act on
   it.
3. Add a test that the option changes the numbers and that a bad value raises.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable

from .validation import check_choice, check_int, check_number  # noqa: F401 (for rows)

__all__ = ["RunOption", "RUN_OPTIONS", "OPTIONS", "REQUIRED", "check_run_options",
           "toml_keys", "defaults"]


class _Required:
    def __repr__(self):
        return "REQUIRED"


#: Default of an option that must be given.
REQUIRED = _Required()


@dataclass(frozen=True)
class RunOption:
    """One run option (see the module docstring).

    Attributes
    ----------
    name : str
        Keyword of ``decopt.run`` and TOML key.
    default : object
        Default value (:data:`REQUIRED` when it must be given).
    check : callable
        ``check(name, value) -> value``: the checked (normalised) value, or TypeError /
        ValueError naming it. ``None`` is passed through when the default is None.
    toml : str or None
        Table of a study file holding the key: ``"study"``, ``"algorithm"``,
        ``"topology"`` (None: not in study files).
    flag : str or None
        CLI flag of ``decopt run`` (None: none).
    cli_type : callable
        argparse ``type`` of the flag.
    help : str
        One line for ``--help`` and the docs.
    """

    name: str
    default: Any
    check: Callable[[str, Any], Any]
    toml: str | None
    flag: str | None
    cli_type: Callable = str
    help: str = ""

    def validate(self, value, where: str | None = None):
        """The checked value; ``where`` prefixes the name in messages."""
        if value is None and self.default is None:
            return None
        return self.check(where or self.name, value)


def _int(low):
    return lambda name, v: check_int(name, v, low)


def _number(low=0.0, strict=False, allow_inf=False):
    return lambda name, v: check_number(name, v, low, strict=strict, allow_inf=allow_inf)


def _choice(*choices):
    return lambda name, v: check_choice(name, v, choices)


def _fraction(name, v):
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{name} must be a number in (0, 1], got {v!r}")
    v = float(v)
    if not 0.0 < v <= 1.0:   # NaN fails too
        raise ValueError(f"{name} must be a fraction of clients in (0, 1], got {v!r}")
    return v


def _probability(low_open, high_open):
    def check(name, v):
        from .links import check_probability
        return check_probability(name, v, low_open=low_open, high_open=high_open)
    return check


def _cost_model(name, v):
    """A cost profile (name, TOML path, dict or CostModel) resolved to a CostModel."""
    from .costmodel import resolve
    try:
        return resolve(v)
    except (TypeError, ValueError) as e:    # name the option, keep the detail
        raise type(e)(f"{name}: {e}") from None


def _compression(name, v):
    """A compression spec, checked by parsing it (the operator is built once, when the
    run is resolved); an operator object is kept as it is."""
    from .compression import Compressor, parse
    if isinstance(v, Compressor):
        return v
    if not isinstance(v, str):
        raise TypeError(f"{name} must be a compression spec such as 'topk:0.1', got {v!r}")
    parse(v)        # ValueError naming a bad spec
    return v


def _divergence(name, v):
    v = check_number(name, v, 0.0, strict=True, allow_inf=True)
    if not v > 0 or math.isnan(v):   # pragma: no cover - check_number covers it
        raise ValueError(f"{name} must be a number > 0 (inf turns the check off), got {v!r}")
    return v


#: The run options, in the order of ``decopt run --help``.
RUN_OPTIONS: tuple[RunOption, ...] = (
    RunOption("steps", REQUIRED, _int(0), "study", "--steps", int,
              "iterations (with [study] budget = 'rounds': communication rounds; a "
              "server method, mixings = 0, counts one round per iteration)"),
    RunOption("log_every", 10, _int(1), "study", "--log-every", int,
              "log metrics every this many steps (decopt.run: 10; studies and decopt run: "
              "steps // 100)"),
    RunOption("noise", 0.0, _number(0.0), "study", "--noise", float,
              "sigma of additive Gaussian gradient noise"),
    RunOption("batch_size", None, _int(1), "study", "--batch-size", int,
              "minibatch per node (problems with samples only)"),
    RunOption("divergence", 1e8, _divergence, "study", None, float,
              "stop when an iterate exceeds this times the initial scale"),
    RunOption("checkpoint_every", None, _int(1), "study", None, int,
              "checkpoint every this many steps (study default: steps // 10)"),
    RunOption("rounds", 1, _int(1), "algorithm", "--rounds", int,
              "multi-step gossip rounds R per mixing call"),
    RunOption("weights", "uniform", _choice("uniform", "random"), "topology", "--weights",
              str, "weight rule for digraphs: uniform or random"),
    RunOption("weight_seed", 0, _int(0), "topology", "--weight-seed", int,
              "seed of the random weight rule"),
    # unreliable links and asynchrony (issue 15)
    RunOption("link_failure", 0.0, _probability(False, True), "algorithm",
              "--link-failure", float,
              "probability p in [0, 1) that a directed link drops a message in a round"),
    RunOption("activation", 1.0, _probability(True, False), "algorithm", "--activation",
              float, "probability q in (0, 1] that a node wakes in an iteration"),
    # compressed communication (issue 15)
    RunOption("compression", None, _compression, "algorithm", "--compression", str,
              "compress the messages of a compressed method: topk:R, randk:R, "
              "randk_biased:R, qsgd:S, sign, fp16, bf16 or none"),
    # simulated wall-clock (issue 17)
    RunOption("cost_model", None, _cost_model, "study", "--cost-model", str,
              "log sim_time under a cost profile: datacenter-10g, cluster-1g, edge, or a "
              "TOML profile file"),
    # local steps and federated learning (issue 16)
    RunOption("local_steps", None, _int(1), "algorithm", "--local-steps", int,
              "tau >= 1 local gradient steps per communication round (local_dsgd, kgt, led and "
              "the federated methods)"),
    RunOption("participation", 1.0, _fraction, "algorithm", "--participation", float,
              "fraction p in (0, 1] of the clients a server round samples"),
    RunOption("server_optimizer", None, _choice("sgd", "adam", "yogi", "adagrad"),
              "algorithm", "--server-optimizer", str,
              "FedOpt server optimiser of the fedavg family: sgd, adam, yogi or adagrad"),
)

#: Options by name.
OPTIONS: dict[str, RunOption] = {o.name: o for o in RUN_OPTIONS}

#: Options that the study schema handles itself (the others travel in RunSpec.extra).
CORE = ("steps", "log_every", "noise", "batch_size", "divergence", "checkpoint_every",
        "rounds", "weights", "weight_seed")


def defaults() -> dict:
    """Name -> default of every option that has one."""
    return {o.name: o.default for o in RUN_OPTIONS if o.default is not REQUIRED}


def toml_keys(table: str) -> tuple[str, ...]:
    """The option keys of a study-file table (``"study"``, ``"algorithm"``,
    ``"topology"``)."""
    return tuple(o.name for o in RUN_OPTIONS if o.toml == table)


def check_run_options(values: dict) -> dict:
    """Checked values of the options in ``values`` (unknown names raise TypeError, as an
    unexpected keyword would)."""
    out = {}
    for name, v in values.items():
        opt = OPTIONS.get(name)
        if opt is None:
            raise TypeError(f"unknown run option {name!r}; valid: {', '.join(OPTIONS)}")
        if v is REQUIRED:
            raise TypeError(f"missing required run option {name!r}")
        out[name] = opt.validate(v)
    return out

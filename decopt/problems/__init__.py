"""Optimisation problems ``f(x) = (1/n) sum_i f_i(x)`` split across the nodes of a network.

Every problem implements the :class:`Problem` interface (single-node ``grad`` and
``local_loss``, vectorised ``grads`` / ``sample_grads`` over the nodes a process hosts,
the global ``loss`` and ``full_grad``, ``L``, ``x_star``, ``params`` and ``checksum``).

=================  ==================================================================
name               problem
=================  ==================================================================
``quadratic``      ``0.5 (x - b_i)^T H_i (x - b_i)``, closed-form ``x_star``
``logistic``       nonconvex logistic regression on synthetic data ([LCLY25], [LLY25])
``logistic_data``  the same loss on a real binary data set (bundled breast cancer or
                   a LIBSVM file)
``mlp``            one-hidden-layer tanh MLP with Dirichlet label skew (bundled digits
                   or an MNIST-style .npz)
=================  ==================================================================

``from_arrays(kind, features, targets)`` builds a logistic or least-squares problem on
the user's own data (one array per node, sample counts may differ); a user problem can
also subclass :class:`Problem` (its docstring states the kernel contract).

``make(name, **params)`` builds a problem by name; ``make(p.name, **p.params)`` rebuilds
``p`` exactly (same ``checksum()``).

References: [LCLY25] arXiv:2506.04600; [LLY25] arXiv:2506.18075.
"""

from __future__ import annotations

import functools
import inspect

from .arrays import LeastSquaresProblem, from_arrays
from .base import NonFiniteError, Problem
from .data import load_libsvm
from .logistic import logistic, logistic_data
from .mlp import mlp
from .quadratic import quadratic

__all__ = ["Problem", "NonFiniteError", "quadratic", "logistic", "logistic_data", "mlp",
           "from_arrays", "LeastSquaresProblem", "load_libsvm", "make", "PROBLEMS"]

def _size_guard(factory):
    """Huge sizes (``dim=2**40``) fail at once with a ValueError naming the arguments,
    not a MemoryError (or numpy's "Maximum allowed dimension exceeded") from deep inside
    numpy."""
    @functools.wraps(factory)
    def build(*args, **kwargs):
        try:
            return factory(*args, **kwargs)
        except MemoryError as e:
            why = str(e) or "out of memory"
        except ValueError as e:
            if not any(t in str(e) for t in ("Maximum allowed", "array is too big")):
                raise
            why = str(e)
        given = ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
        raise ValueError(f"{factory.__name__}({given}) is too large to build: {why}") from None
    return build


quadratic, logistic, logistic_data, mlp = (_size_guard(f) for f in
                                           (quadratic, logistic, logistic_data, mlp))

PROBLEMS = {"quadratic": quadratic, "logistic": logistic, "logistic_data": logistic_data,
            "mlp": mlp}


def factory_of(name):
    """The constructor registered as ``name``, or the factory at an import path
    ``"package.module:function"`` (which must return a Problem); ValueError otherwise."""
    if isinstance(name, str) and ":" in name:
        from ..imports import load_object
        factory = load_object(name, "problem factory")
        if not callable(factory):
            raise ValueError(f"problem factory {name!r} is not callable")
        return factory
    if not isinstance(name, str) or name not in PROBLEMS:
        raise ValueError(f"unknown problem {name!r}; expected one of {sorted(PROBLEMS)} "
                         f"or an import path 'package.module:factory'")
    return PROBLEMS[name]


def make(name, **kwargs):
    """Build the problem registered as ``name`` with keyword arguments ``kwargs``.

    Parameters
    ----------
    name : str
        One of ``PROBLEMS``: "quadratic", "logistic", "logistic_data", "mlp", or an
        import path ``"package.module:factory"`` of a function returning a Problem.
    **kwargs
        Constructor keyword arguments (see each constructor); omitted ones take their
        defaults.

    Raises
    ------
    ValueError
        On an unknown name (the message lists the valid names) or an unknown keyword
        argument (the message lists the valid ones), and whatever the constructor raises
        on bad values.

    Examples
    --------
    >>> p = make("quadratic", n=4, dim=2, seed=3)
    >>> make(p.name, **p.params).checksum() == p.checksum()
    True
    """
    factory = factory_of(name)
    valid = list(inspect.signature(factory).parameters)
    unknown = [k for k in kwargs if k not in valid]
    if unknown:
        raise ValueError(
            f"unknown argument(s) {', '.join(map(repr, unknown))} for problem {name!r}; "
            f"expected some of {valid}")
    return factory(**kwargs)

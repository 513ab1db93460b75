"""decopt: decentralised optimisation over directed graphs.

Push-Pull, Pull-Diag-GT, multi-step gossip and the classic baselines, written once over
``net.pull`` / ``net.push`` and run in-process or under MPI.

>>> import decopt, topologies as tp
>>> prob = decopt.problems.quadratic(n=8, dim=3, seed=0)
>>> res = decopt.run("push_pull", prob, tp.exponential(8), steps=200, step_size=0.1)
"""

from ._version import __version__
from . import algorithms, problems  # noqa: E402
from .algorithms import ALGORITHMS, register_algorithm  # noqa: E402
from .load import load_results  # noqa: E402
from .result import Result  # noqa: E402
from .runner import IntermediateResult, run  # noqa: E402

__all__ = ["run", "Result", "IntermediateResult", "algorithms", "problems", "ALGORITHMS",
           "register_algorithm", "load_results", "__version__"]

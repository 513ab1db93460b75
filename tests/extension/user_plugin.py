"""Files of a user's own algorithm package, written into a directory outside the
repository by the tests: a module ``hb_methods`` with a heavy-ball Push-Pull written
through the public contract only, and a ``dist-info`` that declares it in the entry-point
group ``decopt.algorithms`` (what ``pip install`` of a package with
``[project.entry-points."decopt.algorithms"] hb_push_pull = "hb_methods:HBPushPull"``
leaves on sys.path)."""

MODULE = '''
"""Push-Pull with heavy-ball momentum (a user's method, outside decopt).

x+ = A (x - alpha y) + beta (x - x_prev);  y+ = B y + g(x+) - g(x).
Push-Pull: Pu, Shi, Xu, Nedic, arXiv:1810.06653; heavy ball: Polyak (1964).
"""
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np

import decopt


class HBState(NamedTuple):
    x: np.ndarray        # iterates x^k
    x_prev: np.ndarray   # x^{k-1}
    y: np.ndarray        # gradient trackers
    g: np.ndarray        # last gradients


@decopt.register_algorithm("hb_push_pull")
@dataclass(frozen=True)
class HBPushPull(decopt.algorithms.Algorithm):
    beta: float = 0.3

    weights: ClassVar[str] = "row+column"
    mixings: ClassVar[int] = 2
    exact: ClassVar[bool] = True
    reference: ClassVar[str] = "arXiv:1810.06653 + heavy ball"

    def init(self, x0, oracle, net):
        g = oracle.grad(x0)
        return HBState(x0, x0, g, g)

    def step(self, s, oracle, net):
        x = net.pull(s.x - self.alpha * s.y) + self.beta * (s.x - s.x_prev)
        g = oracle.grad(x)
        y = net.push(s.y) + g - s.g
        return HBState(x, s.x, y, g)
'''

DIST_INFO = "hb_methods-0.1.dist-info"
METADATA = "Metadata-Version: 2.1\nName: hb-methods\nVersion: 0.1\n"
ENTRY_POINTS = "[decopt.algorithms]\nhb_push_pull = hb_methods:HBPushPull\n"

STUDY = '''
[study]
name = "hb"
steps = 40
log_every = 10
seeds = [0, 1]

[problem]
name = "quadratic"
dim = 3

[topology]
spec = "exp:{n}"
n = [6]

[[algorithm]]
name = "mg_hb_push_pull"          # the registered name (entry point) with mg_
step_size = 0.05
rounds = 3

[[algorithm]]
name = "hb_methods:HBPushPull"    # the import path, with an option
step_size = 0.05
rounds = 3
options = { beta = 0.2 }
label = "hb_path"
'''


def write(directory):
    """Write the module, its dist-info and the study into ``directory``."""
    from pathlib import Path
    d = Path(directory)
    (d / "hb_methods.py").write_text(MODULE)
    info = d / DIST_INFO
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(METADATA)
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    (d / "study.toml").write_text(STUDY)
    return d

"""Tutorial: your own algorithm, a heavy-ball Push-Pull (ABm, arXiv:1808.02942)."""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

import decopt
import topologies as tp
from decopt.algorithms import Algorithm


# --- the state: a NamedTuple whose field x holds the iterates ------------------------
class HBState(NamedTuple):
    x: np.ndarray       # (m, d) iterates x_i^k of the hosted nodes
    x_prev: np.ndarray  # (m, d) previous iterates x_i^{k-1}
    y: np.ndarray       # (m, d) gradient trackers y_i^k
    g: np.ndarray       # (m, d) last stochastic gradients g_i^k


# --- the algorithm: a frozen dataclass with init and step ----------------------------
@dataclass(frozen=True)
class HBPushPull(Algorithm):
    """Push-Pull with heavy-ball momentum (ABm of Xin and Khan, arXiv:1808.02942).

    Algorithm
    ---------
    X^{k+1} = A X^k - alpha Y^k + beta (X^k - X^{k-1}),   X^{-1} = X^0
    Y^{k+1} = B Y^k + g(X^{k+1}) - g(X^k),                 Y^0 = g(X^0)

    Weights: A row-stochastic, B column-stochastic, on one strongly connected digraph.
    With beta = 0 this is the AB algorithm (arXiv:1803.02503).
    """

    beta: float = 0.3                 # momentum; alpha (the step size) comes from Algorithm

    weights = "row+column"            # uses net.pull (A) and net.push (B)
    exact = True                      # reaches x* with deterministic gradients
    reference = "arXiv:1808.02942"
    mixings = 2                       # one pull and one push per iteration

    def init(self, x0, oracle, net):
        g = oracle.grad(x0)
        return HBState(x=x0, x_prev=x0, y=g, g=g)

    def step(self, s, oracle, net):
        x = net.pull(s.x) - self.alpha * s.y + self.beta * (s.x - s.x_prev)
        g = oracle.grad(x)
        y = net.push(s.y) + g - s.g
        return HBState(x=x, x_prev=s.x, y=y, g=g)


# --- register it under a name --------------------------------------------------------
decopt.register_algorithm("hb_push_pull", HBPushPull)

# --- run it: by name (options= carries beta) or as an object -------------------------
prob = decopt.problems.quadratic(n=16, dim=10, condition=100.0, seed=0)
G = tp.exponential(16)

hb = decopt.run("hb_push_pull", prob, G, steps=1500, step_size=0.5,
                options={"beta": 0.3}, log_every=10)
ab = decopt.run("ab", prob, G, steps=1500, step_size=0.5, log_every=10)


def steps_to(res, tol=1e-8):
    """First logged step at which every node is within tol of x*."""
    hit = np.nonzero(res.history["err_max"] < tol)[0]
    return int(res.history["step"][hit[0]]) if hit.size else None


print(f"hb_push_pull: max_i ||x_i - x*|| = {hb.final('err_max'):.1e}, "
      f"1e-8 reached at step {steps_to(hb)}")
print(f"ab:           max_i ||x_i - x*|| = {ab.final('err_max'):.1e}, "
      f"1e-8 reached at step {steps_to(ab)}")

# --- sanity check: beta = 0 is AB, to the last bit ------------------------------------
plain = decopt.run(HBPushPull(0.5, beta=0.0), prob, G, steps=300)
same_as_ab = np.array_equal(plain.x, decopt.run("ab", prob, G, steps=300, step_size=0.5).x)
print("beta = 0 reproduces AB exactly:", same_as_ab)

# --- everything the runner offers works for it: minibatches, seeds, rounds -----------
logistic = decopt.problems.logistic(n=16, dim=10, samples_per_node=200, seed=0)
noisy = decopt.run(HBPushPull(0.05, beta=0.3), logistic, G, steps=500, batch_size=20,
                   seed=[0, 1, 2], rounds=3)
print("stochastic run, final ||grad f(xbar)|| per seed:", noisy.final("grad_norm"))

"""Tutorial: your own data, with different sample counts on different nodes."""

import numpy as np

import decopt
import topologies as tp
from decopt.problems import Problem, from_arrays

# --- data: one (m_i, d) feature array and one (m_i,) target array per node -----------
rng = np.random.default_rng(0)
counts = [5, 17, 40]                       # node 0 holds 5 samples, node 2 holds 40
d = 4
x_true = np.array([1.0, -1.0, 0.5, 2.0])
features = [rng.standard_normal((m, d)) for m in counts]
targets = [F @ x_true for F in features]   # noiseless, so x* = x_true

# --- least squares: f_i(x) = (1/(2 m_i)) ||F_i x - t_i||^2, with closed-form x*, L ----
prob = from_arrays("least_squares", features, targets)
print("samples per node:", prob.samples_per_node, " L =", round(prob.L, 3))
print("x* =", prob.x_star)

# Minibatches of 8 samples per node, drawn with replacement from each node's own data
res = decopt.run("push_pull", prob, tp.directed_ring(3), steps=1500, step_size=0.1,
                 batch_size=8, seed=0)
print(f"push_pull with minibatches: ||xbar - x*|| = {res.final('dist'):.1e}")

# --- logistic regression: labels in {-1, +1} (or {0, 1}, mapped 0 -> -1) --------------
labels = [np.where(F @ x_true + 0.5 * rng.standard_normal(len(F)) > 0, 1, 0)
          for F in features]
logit = from_arrays("logistic", features, labels, rho=0.01)
res_logit = decopt.run("pull_diag_gt", logit, tp.directed_ring(3), steps=3000,
                       step_size=0.1)
print(f"pull_diag_gt, logistic: ||grad f(xbar)|| = {res_logit.final('grad_norm'):.1e}")

# Mistakes are reported per node:
try:
    from_arrays("least_squares", features, [targets[0], targets[1][:-1], targets[2]])
except ValueError as e:
    print("ValueError:", e)


# --- or write the problem yourself: subclass Problem and implement the kernels --------
class MeanEstimation(Problem):
    """f_i(x) = (1/m_i) sum_l 0.5 ||x - a_l||^2 over node i's samples a_l.

    The samples of all nodes are stored flat, node i's in rows
    offsets[i]:offsets[i + 1], so nodes may hold different numbers of them.
    """

    def __init__(self, samples):
        self.flat = np.concatenate(samples)                           # (sum m_i, d)
        self.samples_per_node = np.array([len(s) for s in samples])   # (n,)
        self.offsets = np.concatenate([[0], np.cumsum(self.samples_per_node)])
        self.means = np.array([s.mean(axis=0) for s in samples])      # (n, d)
        self.n, self.dim = self.means.shape
        self.name = "mean_estimation"
        self.params = {"samples_per_node": self.samples_per_node.tolist()}
        self.L = 1.0
        self.x_star = self.means.mean(axis=0)

    def kernel_losses(self, nodes, X):                   # (..., m, d) -> (..., m)
        # (1/m) sum_l 0.5 ||x - a_l||^2 = 0.5 ||x - mean||^2 + 0.5 * (spread of the a_l)
        spread = np.array([((self.flat[self.offsets[i]:self.offsets[i + 1]]
                             - self.means[i]) ** 2).sum(-1).mean() for i in nodes])
        return 0.5 * ((X - self.means[nodes]) ** 2).sum(-1) + 0.5 * spread

    def kernel_grads(self, nodes, X):                    # (..., m, d) -> (..., m, d)
        return X - self.means[nodes]

    def kernel_sample_grads(self, nodes, X, idx):        # idx: (..., m, b) local indices
        rows = self.flat[self.offsets[nodes][:, None] + idx]   # (..., m, b, d)
        return X - rows.mean(axis=-2)

    def data_arrays(self):                               # hashed by checksum()
        return {"flat": self.flat, "samples_per_node": self.samples_per_node}


own = MeanEstimation([rng.normal(loc=i, size=(m, 2)) for i, m in enumerate(counts)])
res_own = decopt.run("gt", own, tp.complete(3), steps=400, step_size=0.3)
res_own_sgd = decopt.run("gt", own, tp.complete(3), steps=400, step_size=0.05,
                         batch_size=4, seed=[0, 1])
print(f"own problem, full gradients: ||xbar - x*|| = {res_own.final('dist'):.1e}")
print("own problem, minibatches of 4:", res_own_sgd.final("dist"))

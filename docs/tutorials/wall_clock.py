"""Simulated wall-clock: the same run priced on two cost profiles.

Run: python wall_clock.py  (a few seconds)
"""
import numpy as np

import decopt

prob = decopt.problems.quadratic(n=64, dim=10, heterogeneity=1.0, seed=0)


def time_to(res, tol=1e-8):
    """Simulated seconds when the worst node first gets within tol of x*."""
    err, t = np.asarray(res.history["err_max"]), np.asarray(res.history["sim_time"])
    hit = np.nonzero(err < tol)[0]
    return float(t[hit[0]]) if len(hit) else None


table = {}
for profile in ("cluster-1g", "edge"):
    for topology in ("exp:64", "onepeer:64"):
        res = decopt.run("push_pull", prob, topology, steps=300, step_size=0.1,
                         cost_model=profile)
        table[profile, topology] = res
        print(f"{profile:10s} {topology:10s} rounds {int(res.history['rounds'][-1])}  "
              f"time to 1e-8: {time_to(res):.3g} s  total: "
              f"{res.history['sim_time'][-1]:.3g} s")

# A user-defined profile: 1 ms latency, 100 MB/s, 1 ms per gradient, one node 5x slower.
mine = decopt.costmodel.CostModel(latency=1e-3, bandwidth=1e8, compute=1e-3,
                                  slow_nodes={0: 5.0})
slow = decopt.run("push_pull", prob, "onepeer:64", steps=300, step_size=0.1,
                  cost_model=mine)
print(f"own profile  onepeer:64 total: {slow.history['sim_time'][-1]:.3g} s")

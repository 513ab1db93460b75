"""Unreliable links, random activation and a random time-varying digraph.

Run: python links.py  (a few seconds)
"""
import decopt

prob = decopt.problems.quadratic(n=16, dim=10, heterogeneity=1.0, seed=0)

# Each directed link drops its message with probability 0.3 in every gossip round.
# Push-Pull keeps undelivered mass at the sender (acknowledged push): it stays exact.
# GT re-normalises its pull weights, which breaks double stochasticity: it is biased.
pp = decopt.run("push_pull", prob, "exp:16", steps=1500, step_size=0.1, link_failure=0.3)
gt = decopt.run("gt", prob, "uring:16", steps=1500, step_size=0.1, link_failure=0.3)
print(f"push_pull, 30% drops: err {pp.final('err_max'):.1e}, "
      f"{int(pp.history['messages'][-1])} messages delivered")
print(f"gt,        30% drops: err {gt.final('err_max'):.1e}")

# Each node wakes with probability 0.7 per iteration; a sleeping node neither computes
# nor sends.
asleep = decopt.run("push_pull", prob, "exp:16", steps=1500, step_size=0.1, activation=0.7)
print(f"push_pull, 70% awake: err {asleep.final('err_max'):.1e}")

# A fresh random 2-out digraph every 5 gossip rounds.
kout = decopt.run("push_pull", prob, "random:kout:16,k=2,every=5", steps=1500,
                  step_size=0.1)
print(f"push_pull, random 2-out: err {kout.final('err_max'):.1e}")

"""FedAvg against SCAFFOLD on heterogeneous quadratics: client drift and its correction.

Run: python federated.py  (a few seconds)
"""
import decopt

# Heterogeneous Hessians (condition 10) and minimisers: local steps drift.
prob = decopt.problems.quadratic(n=16, dim=10, heterogeneity=1.0, condition=10.0, seed=0)

# The topology only fixes n: the federated methods talk through a server (net.average).
# steps counts communication rounds; each round every sampled client runs local_steps
# gradient steps.
runs = {
    "fedavg": decopt.run("fedavg", prob, "exp:16", steps=400, step_size=0.02,
                         local_steps=20),
    "scaffold": decopt.run("scaffold", prob, "exp:16", steps=400, step_size=0.02,
                           local_steps=20),
    "scaffold, half the clients": decopt.run("scaffold", prob, "exp:16", steps=400,
                                             step_size=0.02, local_steps=20,
                                             participation=0.5),
}
for name, res in runs.items():
    print(f"{name:27s} err {res.final('err_max'):.1e}  uploads "
          f"{int(res.history['uploads'][-1])}  variance of local losses "
          f"{res.final('loss_var'):.3f}")

"""Compressed messages: CPP over a digraph and CHOCO-SGD over an undirected ring.

Run: python compression.py  (a few seconds)
"""
import numpy as np

import decopt

prob = decopt.problems.quadratic(n=16, dim=10, heterogeneity=1.0, seed=0)


def bits_to(res, tol=1e-6):
    """Bits on the wire (all nodes) when the worst node first gets within tol of x*."""
    err, bits = np.asarray(res.history["err_max"]), np.asarray(res.history["bits"])
    hit = np.nonzero(err < tol)[0]
    return int(bits[hit[0]]) if len(hit) else None


# Push-Pull sends float64 vectors; CPP (compressed Push-Pull) sends QSGD-quantised
# differences to reference points, 4 levels per coordinate: about 4 bits instead of 64.
plain = decopt.run("push_pull", prob, "exp:16", steps=600, step_size=0.1)
cpp = decopt.run("cpp", prob, "exp:16", steps=600, step_size=0.1,
                 compression="qsgd:4", options={"gamma": 0.5})
print(f"push_pull      err {plain.final('err_max'):.1e}  bits to 1e-6: {bits_to(plain):,}")
print(f"cpp qsgd:4     err {cpp.final('err_max'):.1e}  bits to 1e-6: {bits_to(cpp):,}")

# CHOCO-SGD on an undirected ring: top-k keeps 30% of the coordinates (values and
# indices are counted). CHOCO is not exact (DSGD's O(alpha) bias with heterogeneous
# data) but every operator reaches the fixed point of the uncompressed method.
choco = {c: decopt.run("choco", prob, "uring:16", steps=600, step_size=0.05,
                       compression=c, options={"gamma": 0.3})
         for c in ("none", "topk:0.3")}
gap = np.abs(choco["topk:0.3"].x - choco["none"].x).max()
for c, res in choco.items():
    print(f"choco {c:9s} err {res.final('err_max'):.3f}  bits sent: "
          f"{int(res.history['bits'][-1]):,}")
print(f"top-k and uncompressed CHOCO end {gap:.1e} apart")

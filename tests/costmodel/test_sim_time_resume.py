"""sim_time continues across a checkpoint: a resumed run logs the same simulated seconds
as an uninterrupted one (the clock's state is part of the checkpoint)."""

import numpy as np
import pytest

import decopt
from decopt.loop import Interrupted


def _run(tmp_path, stop_at=None, resume=False):
    prob = decopt.problems.quadratic(n=6, dim=3, seed=0)

    def cb(r):
        if stop_at is not None and r["step"] == stop_at:
            raise KeyboardInterrupt

    return decopt.run("push_pull", prob, "exp:6", steps=40, step_size=0.1, log_every=5,
                      noise=0.1, seed=[0, 1], cost_model="edge",
                      checkpoint=tmp_path / "ck.npz", checkpoint_every=5, resume=resume,
                      callback=cb if stop_at else None)


def test_resumed_sim_time_equals_uninterrupted(tmp_path):
    d1 = tmp_path / "a"
    d1.mkdir()
    ref = _run(d1)
    d2 = tmp_path / "b"
    d2.mkdir()
    with pytest.raises(Interrupted):
        _run(d2, stop_at=20)
    res = _run(d2, resume=True)
    # same rounds, same compute draws: equal up to summation order (1e-12 relative)
    np.testing.assert_allclose(res.history["sim_time"], ref.history["sim_time"],
                               rtol=1e-12)
    assert res.history["sim_time"][-1, 0] > 0

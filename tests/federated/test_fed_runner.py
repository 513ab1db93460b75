"""Run-level behaviour of the federated options: checkpoint/resume, result files."""

from __future__ import annotations

import numpy as np
import pytest

import decopt


@pytest.fixture(scope="module")
def logi():
    return decopt.problems.logistic(n=8, dim=4, samples_per_node=30, heterogeneity=1.0,
                                    seed=2)


@pytest.mark.parametrize("name", ["scaffold", "adafedadam", "fedyogi", "kgt"])
def test_checkpoint_resume_gives_identical_numbers(tmp_path, logi, name):
    server = decopt.ALGORITHMS[name].weights == "server"
    topo = "server:8" if server else "exp:8"
    kw = dict(steps=40, step_size=0.2, noise=0.2, batch_size=4, seed=[1, 2], log_every=10,
              local_steps=3, participation=0.5 if server else 1.0)
    full = decopt.run(name, logi, topo, **kw)
    ck = tmp_path / "ck.npz"

    def interrupt(r):
        if r.step == 20:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        decopt.run(name, logi, topo, checkpoint=ck, checkpoint_every=10,
                   callback=interrupt, **kw)
    assert ck.exists()
    resumed = decopt.run(name, logi, topo, checkpoint=ck, checkpoint_every=10,
                         resume=True, **kw)
    # iterates bit-identical: sampling is a function of (seed, round), the state is
    # restored exactly
    assert np.array_equal(resumed.x, full.x)
    for key in full.history:
        if key != "time":
            # 1e-14 relative: the metrics of identical iterates can differ in the last
            # bit (the BLAS kernels of the problem's matrix products depend on the
            # arrays' memory alignment, which differs between the two processes' runs)
            np.testing.assert_allclose(resumed.history[key], full.history[key],
                                       rtol=1e-14, atol=1e-30, err_msg=key)
    assert resumed.counters == full.counters


def test_result_files_keep_the_new_columns(tmp_path, logi):
    res = decopt.run("fedavg", logi, "server:8", steps=6, step_size=0.2, seed=[0, 1],
                     participation=0.25, local_steps=2, log_every=2)
    res.save(tmp_path / "run")
    back = decopt.Result.load(tmp_path / "run")
    for key in ("uploads", "downloads", "bits", "loss_var", "loss_max", "loss_worst10"):
        np.testing.assert_array_equal(back.history[key], res.history[key])
    assert res.history["uploads"][-1] == 6 * 2 + 8       # ceil(0.25 * 8) = 2 per round
    assert back.config["participation"] == 0.25
    assert back.config["options"]["local_steps"] == 2

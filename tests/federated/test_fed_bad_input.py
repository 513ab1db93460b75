"""Bad federated / local-step input: a ValueError or TypeError naming the value."""

from __future__ import annotations

import pytest

import decopt
from decopt.algorithms import FedAvg, KGT, Scaffold


@pytest.fixture(scope="module")
def quad():
    return decopt.problems.quadratic(n=6, dim=2, seed=0)


@pytest.mark.parametrize("tau, exc, text", [(0, ValueError, "got 0"),
                                            (-2, ValueError, "got -2"),
                                            (1.5, TypeError, "got 1.5"),
                                            (True, TypeError, "got True")])
def test_local_steps_below_one(quad, tau, exc, text):
    with pytest.raises(exc, match=f"local_steps must be an int(eger)? >= 1.*{text}"):
        decopt.run("fedavg", quad, "server:6", steps=2, step_size=0.1, local_steps=tau)
    with pytest.raises(exc, match="local_steps"):
        KGT(0.1, local_steps=tau)


@pytest.mark.parametrize("p", [0, 0.0, -0.1, 1.01, float("nan"), 2])
def test_participation_outside_unit_interval(quad, p):
    with pytest.raises(ValueError, match=r"participation must be a fraction of clients "
                                         r"in \(0, 1\], got"):
        decopt.run("fedavg", quad, "server:6", steps=2, step_size=0.1, participation=p)


def test_participation_not_a_number(quad):
    with pytest.raises(TypeError, match="participation must be a number.*'half'"):
        decopt.run("fedavg", quad, "server:6", steps=2, step_size=0.1,
                   participation="half")


def test_sampling_on_a_gossip_method(quad):
    with pytest.raises(ValueError, match="participation=0.5: client sampling applies to "
                                         "methods with a server.*'dsgd'"):
        decopt.run("dsgd", quad, "exp:6", steps=2, step_size=0.1, participation=0.5)


@pytest.mark.parametrize("name, topo", [("dsgd", "exp:6"), ("scaffold", "server:6"),
                                        ("qffl", "server:6")])
def test_server_optimizer_on_a_method_without_one(quad, name, topo):
    with pytest.raises(ValueError, match=f"server_optimizer='adam': algorithm '{name}' "
                                         f"has no server optimiser"):
        decopt.run(name, quad, topo, steps=2, step_size=0.1, server_optimizer="adam")


def test_unknown_server_optimizer(quad):
    with pytest.raises(ValueError, match="server_optimizer must be one of.*'rmsprop'"):
        decopt.run("fedavg", quad, "server:6", steps=2, step_size=0.1,
                   server_optimizer="rmsprop")


def test_local_steps_on_a_method_without_them(quad):
    with pytest.raises(ValueError, match="local_steps=3: algorithm 'push_pull' takes no "
                                         "local steps"):
        decopt.run("push_pull", quad, "chords:6", steps=2, step_size=0.1, local_steps=3)


def test_server_topology_for_a_gossip_method(quad):
    with pytest.raises(ValueError, match="'server:6' is a server.*'exp:6'"):
        decopt.run("dsgd", quad, "server:6", steps=2, step_size=0.1)


@pytest.mark.parametrize("topo", ["server:x", "server:0"])
def test_bad_server_spec(quad, topo):
    with pytest.raises(ValueError, match="server"):
        decopt.run("fedavg", quad, topo, steps=2, step_size=0.1)


def test_server_methods_accept_any_topology_of_n_nodes(quad):
    a = decopt.run("fedavg", quad, "exp:6", steps=3, step_size=0.1)
    b = decopt.run("fedavg", quad, 6, steps=3, step_size=0.1)
    c = decopt.run("fedavg", quad, "server:6", steps=3, step_size=0.1)
    assert (a.x == c.x).all() and (b.x == c.x).all()
    with pytest.raises(ValueError, match="n=6 nodes but the topology has 5"):
        decopt.run("fedavg", quad, "server:5", steps=3, step_size=0.1)


@pytest.mark.parametrize("field, value", [("server_lr", 0.0), ("beta1", 1.0),
                                          ("beta2", -0.1), ("epsilon", 0.0)])
def test_bad_server_hyper_parameters(field, value):
    with pytest.raises(ValueError, match=f"{field} must be a finite number"):
        FedAvg(0.1, **{field: value})


def test_bad_control_flag():
    with pytest.raises(TypeError, match="control must be True or False"):
        Scaffold(0.1, control="yes")


def test_no_multistep_alias_for_server_methods(quad):
    with pytest.raises(ValueError, match="unknown algorithm 'mg_fedavg'"):
        decopt.run("mg_fedavg", quad, "server:6", steps=2, step_size=0.1, rounds=2)

"""The algorithm registry: register_algorithm (call and decorator), mg_ aliases and
rounds for registered algorithms, import paths, entry points, error messages."""

from __future__ import annotations

import dataclasses
import sys
import types

import numpy as np
import pytest

import decopt
from decopt import algorithms as algs
from decopt import study as _study  # noqa: F401  (decopt.study below)


@pytest.fixture
def registry(monkeypatch):
    """A private copy of the registry (registrations do not leak into other tests)."""
    monkeypatch.setattr(algs, "ALGORITHMS", dict(algs.ALGORITHMS))
    return algs.ALGORITHMS


def test_register_call_and_decorator(registry):
    @dataclasses.dataclass(frozen=True)
    class Mine(algs.DSGD):
        pass

    assert decopt.register_algorithm("mine", Mine) is Mine

    @decopt.register_algorithm("mine2")
    @dataclasses.dataclass(frozen=True)
    class Mine2(algs.GT):
        pass

    assert registry["mine"] is Mine and registry["mine2"] is Mine2
    assert type(algs.make("mg_mine2", 0.1)) is Mine2
    assert "mine" in algs.MG_ALIASES.get("mg_mine", "") and "mg_mine" in list(algs.MG_ALIASES)


def test_registered_algorithm_runs_with_rounds_and_mg(registry):
    @decopt.register_algorithm("my_gt")
    @dataclasses.dataclass(frozen=True)
    class MyGT(algs.GT):
        pass

    prob = decopt.problems.quadratic(n=6, dim=2, seed=0)
    a = decopt.run("mg_my_gt", prob, "exp:6", steps=20, step_size=0.05, rounds=3)
    b = decopt.run("gt", prob, "exp:6", steps=20, step_size=0.05, rounds=3)
    np.testing.assert_array_equal(a.x, b.x)      # same recursion, same numbers
    assert a.config["algorithm"] == "mg_my_gt" and a.counters["rounds"] == 3 * 20 * 2
    with pytest.raises(ValueError, match="mg_my_gt is multi-step gossip"):
        decopt.run("mg_my_gt", prob, "exp:6", steps=2, step_size=0.05)


def test_bad_registrations(registry):
    with pytest.raises(ValueError, match="lower-case"):
        decopt.register_algorithm("Bad Name", algs.GT)
    with pytest.raises(ValueError, match="mg_"):
        decopt.register_algorithm("mg_x", algs.GT)
    with pytest.raises(TypeError, match="subclass of decopt.algorithms.Algorithm"):
        decopt.register_algorithm("x", object)
    with pytest.raises(ValueError, match="already registered"):
        decopt.register_algorithm("gt", algs.DSGD)
    decopt.register_algorithm("gt", algs.GT)                 # the same class: fine
    decopt.register_algorithm("gt", algs.DSGD, overwrite=True)
    assert registry["gt"] is algs.DSGD


def test_unknown_names_list_the_valid_ones_and_how_to_register():
    with pytest.raises(ValueError) as e:
        algs.make("pushpull", 0.1)
    msg = str(e.value)
    assert "push_pull" in msg and "register_algorithm" in msg and "package.module:Class" \
        in msg
    with pytest.raises(ValueError, match="cannot import module 'no_such_mod_xyz'"):
        algs.make("no_such_mod_xyz:Cls", 0.1)
    with pytest.raises(ValueError, match="module 'decopt.algorithms' has no attribute 'Nope'"):
        algs.make("decopt.algorithms:Nope", 0.1)
    with pytest.raises(ValueError, match="not a subclass"):
        algs.make("decopt.algorithms:make", 0.1)


def test_import_path_in_decopt_run_and_studies():
    prob = decopt.problems.quadratic(n=4, dim=2, seed=0)
    a = decopt.run("decopt.algorithms.push_pull:PushPull", prob, "exp:4", steps=5,
                   step_size=0.1)
    b = decopt.run("push_pull", prob, "exp:4", steps=5, step_size=0.1)
    np.testing.assert_array_equal(a.x, b.x)
    doc = {"study": {"steps": 5}, "problem": {"name": "quadratic"},
           "topology": {"spec": "exp:4"},
           "algorithm": [{"name": "decopt.algorithms.push_pull:PushPull", "step_size": 0.1}]}
    (r,) = decopt.study.parse_study(doc).runs
    assert r.label == "PushPull" and r.algorithm == "decopt.algorithms.push_pull:PushPull"


def test_problem_factory_import_path(monkeypatch):
    mod = types.ModuleType("user_problems_xyz")
    mod.small = lambda n, seed=0, dim=2: decopt.problems.quadratic(n=n, dim=dim, seed=seed)
    monkeypatch.setitem(sys.modules, "user_problems_xyz", mod)
    doc = {"study": {"steps": 5}, "problem": {"name": "user_problems_xyz:small", "dim": 3},
           "topology": {"spec": "exp:4"},
           "algorithm": [{"name": "push_pull", "step_size": 0.1}]}
    (r,) = decopt.study.parse_study(doc).runs
    assert r.problem == "user_problems_xyz:small"
    assert decopt.problems.make(r.problem, **r.problem_params).dim == 3
    doc["problem"]["bogus"] = 1
    with pytest.raises(ValueError, match="unknown key 'bogus'"):
        decopt.study.parse_study(doc)


def test_entry_points_are_loaded_once(monkeypatch, registry):
    calls = []

    class EP:
        name, value = "ep_algo", "x:Y"

        def load(self):
            calls.append(1)
            return algs.DSGD

    import importlib.metadata as md
    monkeypatch.setattr(md, "entry_points", lambda group: [EP()] if group ==
                        algs.ENTRY_POINT_GROUP else [])
    monkeypatch.setattr(algs, "_entry_points_loaded", False)
    assert type(algs.make("mg_ep_algo", 0.1)) is algs.DSGD
    algs.make("ep_algo", 0.1)
    with pytest.raises(ValueError):
        algs.make("still_unknown", 0.1)
    assert calls == [1]

"""Cost-model profiles: named, Python, TOML; bad values name the field."""

from __future__ import annotations

import math

import pytest

import decopt
import topologies as tp
from decopt import costmodel as cm


def test_named_profiles_are_valid_and_ordered():
    assert set(cm.PROFILES) >= {"datacenter-10g", "cluster-1g", "edge"}
    for name, m in cm.PROFILES.items():
        assert cm.load(name) is m and m.name == name
    dc, cl, edge = (cm.PROFILES[k] for k in ("datacenter-10g", "cluster-1g", "edge"))
    assert dc.latency < cl.latency < edge.latency
    assert dc.bandwidth > cl.bandwidth > edge.bandwidth


def test_toml_table_and_top_level(tmp_path):
    a = tmp_path / "mine.toml"
    a.write_text("[cost_model]\nlatency = 2e-6\nbandwidth = 1e9\ncompute = 3e-5\n"
                 "serialize = 'none'\n[cost_model.slow_nodes]\n'3' = 4.0\n")
    m = cm.load(a)
    assert (m.latency, m.bandwidth, m.compute, m.serialize, m.name) == (
        2e-6, 1e9, 3e-5, "none", "mine")
    assert m.slow_nodes == {3: 4.0}
    b = tmp_path / "top.toml"
    b.write_text("profile = 'cluster-1g'\ncompute = 1.0\nname = 'slowgrad'\n")
    m2 = cm.load(str(b))
    assert m2.latency == cm.PROFILES["cluster-1g"].latency and m2.compute == 1.0
    assert m2.name == "slowgrad"


def test_to_toml_round_trip(tmp_path):
    m = cm.CostModel(latency=1e-5, bandwidth=math.inf, compute=2e-3, heterogeneity=0.3,
                     slow_nodes={1: 2.0}, name="rt")
    p = tmp_path / "rt.toml"
    p.write_text(cm.to_toml(m, "a comment"))
    assert cm.load(p) == m


def test_resolve_forms():
    assert cm.resolve(None) is None
    m = cm.resolve({"profile": "edge", "latency": 0.1})
    assert m.latency == 0.1 and m.bandwidth == cm.PROFILES["edge"].bandwidth
    assert cm.resolve(m) is m


@pytest.mark.parametrize("field, value, match", [
    ("latency", -1.0, r"cost_model\.latency .*-1\.0"),
    ("bandwidth", 0.0, r"cost_model\.bandwidth .*> 0"),
    ("bandwidth", -5.0, r"cost_model\.bandwidth .*-5\.0"),
    ("compute", math.nan, r"cost_model\.compute"),
    ("overhead", math.inf, r"cost_model\.overhead"),
    ("local_bandwidth", 0.0, r"cost_model\.local_bandwidth .*> 0"),
    ("local_bandwidth", math.nan, r"cost_model\.local_bandwidth .*nan"),
    ("straggler_prob", 1.5, r"cost_model\.straggler_prob .*<= 1"),
    ("straggler_slowdown", 0.5, r"cost_model\.straggler_slowdown .*>= 1"),
    ("serialize", "both", r"cost_model\.serialize .*'both'"),
    ("slow_nodes", {"x": 2.0}, r"slow_nodes: node 'x'"),
    ("slow_nodes", {1: 0.5}, r"slow_nodes\[1\]"),
])
def test_bad_values_name_the_field(field, value, match):
    kw = {"latency": 1e-6, "bandwidth": 1e9, field: value}
    with pytest.raises(ValueError, match=match):
        cm.CostModel(**kw)


def test_bad_types():
    with pytest.raises(TypeError, match="cost_model.latency"):
        cm.CostModel(latency="fast", bandwidth=1.0)
    with pytest.raises(TypeError, match="cost_model"):
        cm.resolve(3.5)


def test_unknown_profile_and_keys(tmp_path):
    with pytest.raises(ValueError, match="unknown cost-model profile 'cluster-100g'"):
        cm.load("cluster-100g")
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['latncy'\]"):
        cm.resolve({"latncy": 1e-6, "bandwidth": 1.0})
    with pytest.raises(ValueError, match=r"missing key\(s\) \['bandwidth'\]"):
        cm.resolve({"latency": 1e-6})
    with pytest.raises(ValueError, match="profile: unknown cost-model profile 'nope'"):
        cm.resolve({"profile": "nope"})
    bad = tmp_path / "bad.toml"
    bad.write_text("[cost_model]\nlatency = -2e-6\nbandwidth = 1e9\n")
    with pytest.raises(ValueError, match=r"cost_model\.latency .*-2e-06"):
        cm.load(bad)
    broken = tmp_path / "broken.toml"
    broken.write_text("latency = = 3")
    with pytest.raises(ValueError, match="not valid TOML"):
        cm.load(broken)


def test_run_rejects_bad_cost_model_before_running():
    prob = decopt.problems.quadratic(n=4, dim=2, seed=0)
    with pytest.raises(ValueError, match="'warp-drive'"):
        decopt.run("push_pull", prob, tp.exponential(4), steps=2, step_size=0.1,
                   cost_model="warp-drive")
    with pytest.raises(ValueError, match=r"slow_nodes names node 9"):
        decopt.run("push_pull", prob, tp.exponential(4), steps=2, step_size=0.1,
                   cost_model={"latency": 0, "bandwidth": 1, "slow_nodes": {"9": 2.0}})

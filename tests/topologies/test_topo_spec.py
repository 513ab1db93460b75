"""String specs: every family round-trips, bad specs list the families."""

import networkx as nx
import pytest

import topologies as tp

EXAMPLES = {
    "exp": ("exp:16", lambda: tp.exponential(16)),
    "ring": ("ring:8", lambda: tp.directed_ring(8)),
    "uring": ("uring:8", lambda: tp.undirected_ring(8)),
    "chords": ("chords:16", lambda: tp.ring_with_chords(16)),
    "skewring": ("skewring:16", lambda: tp.skewed_ring(16)),
    "skewchain": ("skewchain:10", lambda: tp.skewed_chain(10)),
    "onepeer": ("onepeer:16", lambda: tp.one_peer_exponential(16)),
    "grid": ("grid:4x4", lambda: tp.grid(4, 4)),
    "torus": ("torus:4x4", lambda: tp.torus(4, 4)),
    "star": ("star:16", lambda: tp.star(16)),
    "complete": ("complete:8", lambda: tp.complete(8)),
    "er": ("er:32,p=0.2,seed=1", lambda: tp.erdos_renyi(32, 0.2, seed=1)),
    "kout": ("kout:16,k=2,seed=0", lambda: tp.random_k_out(16, 2, seed=0)),
    "geo": ("geo:16,radius=5,seed=0", lambda: tp.random_geometric(16, 5.0, seed=0)),
    "knn": ("knn:16,k=3,seed=0", lambda: tp.nearest_neighbour(16, 3, seed=0)),
}


def _edges(G):
    return [set(g.edges) for g in G] if isinstance(G, list) else set(G.edges)


def test_every_family_has_an_example():
    assert set(EXAMPLES) == set(tp.FAMILIES)
    for name, (func, params) in tp.FAMILIES.items():
        assert callable(func) and isinstance(params, str)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_spec_round_trip(name):
    spec, build = EXAMPLES[name]
    G = tp.from_spec(spec)
    assert _edges(G) == _edges(build())
    if not isinstance(G, list):
        canonical = G.graph["spec"]
        assert canonical.startswith(name + ":")
        again = tp.from_spec(canonical)
        assert _edges(again) == _edges(G)
        assert again.graph["spec"] == canonical


def test_spec_forms():
    assert _edges(tp.from_spec(" er:32, 0.2 ,seed=1")) == _edges(tp.from_spec("er:32,p=0.2,seed=1"))
    assert _edges(tp.from_spec("er:n=32,p=0.2")) == _edges(tp.erdos_renyi(32, 0.2, seed=0))
    assert _edges(tp.from_spec("grid:rows=2,cols=3")) == _edges(tp.grid(2, 3))
    assert _edges(tp.from_spec("grid:2,3")) == _edges(tp.grid(2, 3))
    assert _edges(tp.from_spec("exponential:8")) == _edges(tp.exponential(8))  # alias
    assert _edges(tp.from_spec("EXP:8")) == _edges(tp.exponential(8))
    assert isinstance(tp.from_spec("exp:1"), nx.DiGraph)


@pytest.mark.parametrize("spec,match", [
    ("foo:3", r"unknown family 'foo'"),
    ("exp", r"missing parameter 'n' for family 'exp'"),
    ("exp:16,q=3", r"unknown parameter 'q' for family 'exp'"),
    ("exp:1.5", r"parameter 'n' of 'exp' must be an int, got '1.5'"),
    ("er:32,p=abc", r"parameter 'p' of 'er' must be a number, got 'abc'"),
    ("er:32,p=nan", r"must be finite"),
    ("grid:4xz", r"parameter 'cols' of 'grid' must be an int, got 'z'"),
    ("exp:16,16", r"too many values"),
    ("er:32,p=0.1,p=0.2", r"parameter 'p' given twice"),
    ("exp:16,", r"empty parameter"),
    ("kout:16,k=2,seed=x", r"parameter 'seed' of 'kout' must be an int"),
    ("exp:0", r"n must be an integer >= 1, got 0"),
])
def test_bad_specs_list_the_families(spec, match):
    with pytest.raises(ValueError, match=match) as info:
        tp.from_spec(spec)
    if spec != "exp:0":  # parse errors carry the listing
        text = str(info.value)
        for name in tp.FAMILIES:
            assert f"  {EXAMPLES[name][0]}" in text


def test_spec_type_error():
    with pytest.raises(TypeError, match="spec must be a string"):
        tp.from_spec(16)


def test_spec_help_lists_every_family_with_parameters():
    text = tp.spec_help()
    for name, (_, params) in tp.FAMILIES.items():
        assert f"{name}({params})" in text
    assert "p: float" in text and "seed: int = 0" in text

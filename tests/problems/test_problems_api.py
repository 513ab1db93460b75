"""Registry, params round trip, closed forms, data models and input validation."""

import json

import numpy as np
import pytest

import decopt.problems as P
from decopt.problems.mlp import dirichlet_split

SMALL = {
    "quadratic": dict(n=4, dim=3, condition=10.0, seed=1),
    "logistic": dict(n=3, dim=4, samples_per_node=10, heterogeneity=0.5, seed=2),
    "logistic_data": dict(n=4, split="sorted", seed=3),
    "mlp": dict(n=4, hidden=3, samples_per_node=15, seed=4),
}


def test_exports():
    for name in ["Problem", "quadratic", "logistic", "logistic_data", "mlp", "load_libsvm",
                 "make", "PROBLEMS"]:
        assert hasattr(P, name)
    assert set(P.PROBLEMS) == {"quadratic", "logistic", "logistic_data", "mlp"}


@pytest.mark.parametrize("name", list(SMALL))
def test_interface_attributes(name):
    p = P.make(name, **SMALL[name])
    assert isinstance(p, P.Problem) and p.name == name
    assert isinstance(p.n, int) and isinstance(p.dim, int) and p.n == SMALL[name]["n"]
    assert isinstance(p.L, float) and p.L > 0
    if name == "quadratic":
        assert p.samples_per_node is None and p.x_star.shape == (p.dim,)
    else:
        assert p.x_star is None
        assert p.samples_per_node.shape == (p.n,) and (p.samples_per_node >= 1).all()
        assert np.issubdtype(p.samples_per_node.dtype, np.integer)
    h = p.checksum()
    assert isinstance(h, str) and len(h) == 64 and int(h, 16) >= 0


@pytest.mark.parametrize("name", list(SMALL))
def test_params_round_trip(name):
    p = P.make(name, **SMALL[name])
    params = json.loads(json.dumps(p.params))          # JSON-able
    q = P.make(name, **params)
    assert q.params == p.params and q.checksum() == p.checksum()
    x = p.initial_point(0) + 0.1
    assert q.loss(x) == p.loss(x)
    other = P.make(name, **{**params, "seed": params["seed"] + 1})
    assert other.checksum() != p.checksum()
    # defaults are recorded too: every constructor argument is in params
    import inspect
    assert set(p.params) == set(inspect.signature(P.PROBLEMS[name]).parameters)


def test_make_errors():
    with pytest.raises(ValueError, match=r"unknown problem 'nope'.*logistic.*quadratic"):
        P.make("nope")
    with pytest.raises(ValueError, match=r"'dimm'.*quadratic.*\['n', 'dim'"):
        P.make("quadratic", dimm=3)


# -- quadratic closed forms ----------------------------------------------------------------

@pytest.mark.parametrize("condition", [1.0, 30.0])
def test_quadratic_x_star_and_weighted_minimizer(condition):
    p = P.quadratic(n=6, dim=4, heterogeneity=3.0, condition=condition, seed=5)
    assert np.abs(p.full_grad(p.x_star)).max() <= 1e-12
    w = np.random.default_rng(0).random(p.n)
    xw = p.weighted_minimizer(w)
    gw = sum(w[i] * p.grad(i, xw) for i in range(p.n))
    assert np.abs(gw).max() <= 1e-12
    assert np.allclose(p.weighted_minimizer(np.ones(p.n)), p.x_star, rtol=0, atol=1e-13)
    e = np.zeros(p.n)
    e[2] = 1.0                                           # one node: its own centre
    assert np.allclose(p.weighted_minimizer(e), p.b[2], rtol=0, atol=1e-12)


def test_quadratic_identity_case_is_the_papers_check():
    p = P.quadratic(n=5, dim=3, heterogeneity=2.0, seed=0)
    x = np.arange(3.0)
    for i in range(p.n):
        assert np.isclose(p.local_loss(i, x), 0.5 * np.sum((x - p.b[i]) ** 2), rtol=1e-14)
    assert np.allclose(p.x_star, p.b.mean(axis=0), rtol=0, atol=1e-15)
    assert p.L == 1.0 and p.mu == 1.0


def test_quadratic_condition_spectrum():
    p = P.quadratic(n=5, dim=4, condition=100.0, seed=3)
    ev = np.linalg.eigvalsh(p.H)
    assert np.allclose(ev[:, -1], 1.0) and np.allclose(ev[:, 0], 0.01)
    assert np.isclose(p.L, 1.0) and 0.01 <= p.mu <= 1.0
    assert np.allclose(p.H, np.swapaxes(p.H, 1, 2), rtol=0, atol=0)


def test_heterogeneity_scales_centres():
    a = P.quadratic(n=3, dim=2, heterogeneity=1.0, seed=9)
    b = P.quadratic(n=3, dim=2, heterogeneity=4.0, seed=9)
    assert np.allclose(b.b, 4 * a.b)
    assert not P.quadratic(n=3, dim=2, heterogeneity=0.0).b.any()


def test_other_problems_have_no_weighted_minimizer():
    p = P.logistic(n=2, dim=2, samples_per_node=5)
    assert p.weighted_minimizer(np.ones(2)) is None


# -- logistic data model ------------------------------------------------------------------

def test_logistic_data_model():
    n, m, d = 4, 2000, 3
    p = P.logistic(n=n, dim=d, samples_per_node=m, seed=1)
    assert np.allclose(p.node_x_opt, p.x_opt)            # homogeneous
    assert set(np.unique(p.labels)) == {-1.0, 1.0}
    # label frequencies follow sigmoid(h^T x_opt): compare means of y and E[y|h]
    H = p.features.reshape(-1, d)
    ey = 2 / (1 + np.exp(-H @ p.x_opt)) - 1
    assert abs(p.labels.mean() - ey.mean()) < 4 / np.sqrt(n * m)
    q = P.logistic(n=n, dim=d, samples_per_node=m, heterogeneity=1.0, seed=1)
    assert np.array_equal(q.features, p.features)        # only the labels change
    assert not np.allclose(q.node_x_opt, q.x_opt) and np.array_equal(q.x_opt, p.x_opt)
    r = P.logistic(n=n, dim=d, samples_per_node=m, heterogeneity=10.0, seed=1)
    assert np.allclose(r.node_x_opt - r.x_opt, 10 * (q.node_x_opt - q.x_opt))


def test_logistic_L_formula():
    p = P.logistic(n=3, dim=4, samples_per_node=20, rho=0.05, seed=2)
    H = p.features
    expect = max(np.linalg.eigvalsh(H[i].T @ H[i])[-1] / (4 * 20) for i in range(3)) + 0.1
    assert np.isclose(p.L, expect, rtol=1e-12)


def test_logistic_data_splits():
    X, y = P.data.load_breast_cancer()
    N = X.shape[0]
    p = P.logistic_data(n=16, seed=0)
    assert p.samples_per_node.sum() == N                  # nothing dropped
    assert p.samples_per_node.max() - p.samples_per_node.min() <= 1
    s = P.logistic_data(n=16, split="sorted", seed=0)
    pure = [np.unique(s.labels[i, :s.samples_per_node[i]]).size == 1 for i in range(16)]
    assert sum(pure) >= 14                                # at most one mixed boundary node
    raw = P.logistic_data(n=2, standardize=False)
    assert np.isclose(np.abs(raw.features).max(), np.abs(X).max())
    st = P.logistic_data(n=1)
    assert np.allclose(st.features[0].mean(axis=0), 0, atol=1e-12)
    with pytest.raises(ValueError, match="split = 'random'"):
        P.logistic_data(split="random")
    with pytest.raises(ValueError, match="n = 1000 exceeds the 569 samples"):
        P.logistic_data(n=1000)
    with pytest.raises(ValueError, match="no_such_file.libsvm"):
        P.logistic_data(data="no_such_file.libsvm")


def test_logistic_data_from_libsvm_file(tmp_path):
    f = tmp_path / "toy.libsvm"
    rng = np.random.default_rng(0)
    lines = [f"{rng.integers(0, 2)} 1:{rng.normal():.6f} 3:{rng.normal():.6f}"
             for _ in range(12)]
    f.write_text("\n".join(lines) + "\n")
    p = P.logistic_data(n=3, data=str(f), standardize=False)
    assert p.dim == 3 and p.samples_per_node.sum() == 12 and not p.features[..., 1].any()
    assert P.make("logistic_data", **p.params).checksum() == p.checksum()
    f.write_text("\n".join(lines[:-1]) + "\n")             # same path, different data
    assert P.make("logistic_data", **p.params).checksum() != p.checksum()


# -- mlp ----------------------------------------------------------------------------------

def test_mlp_dirichlet_split():
    p = P.mlp(n=16, seed=0)
    assert p.samples_per_node.sum() == 1797 and (p.samples_per_node >= 1).all()
    assert p.dim == 64 * 32 + 32 + 32 * 10 + 10
    # label skew: with alpha = 0.5 nodes are far from uniform over the 10 classes
    props = np.array([np.bincount(y, minlength=10) / y.size for y in p.node_labels])
    assert props.max(axis=1).mean() > 0.25
    iid = P.mlp(n=4, dirichlet=1e4, seed=0)
    props = np.array([np.bincount(y, minlength=10) / y.size for y in iid.node_labels])
    assert np.abs(props - 0.1).max() < 0.03
    # tiny alpha and many nodes: every node still gets a sample
    q = P.mlp(n=40, dirichlet=0.01, samples_per_node=1, hidden=2, seed=1)
    assert (q.samples_per_node == 1).all()
    parts = dirichlet_split(np.repeat(np.arange(3), 5), 5, 0.05,
                            np.random.default_rng(0))
    assert sorted(np.concatenate(parts).tolist()) == list(range(15))   # a partition
    assert min(map(len, parts)) >= 1
    with pytest.raises(ValueError, match="n \\* samples_per_node = 3600 exceeds the 1797"):
        P.mlp(n=2, samples_per_node=1800)
    with pytest.raises(ValueError, match="dirichlet = 0.0"):
        P.mlp(dirichlet=0)


def test_mlp_predict_and_layout():
    p = P.mlp(n=2, hidden=3, samples_per_node=10, seed=0)
    x = p.initial_point(3)
    W1, b1, W2, b2 = p.unpack(x)
    assert W1.shape == (64, 3) and b1.shape == (3,) and W2.shape == (3, 10)
    assert not b1.any() and not b2.any()
    F, y = p.node_features[0], p.node_labels[0]
    logits = p.predict(x, F)
    ce = np.mean(np.log(np.exp(logits).sum(1)) - logits[np.arange(y.size), y])
    assert np.isclose(p.local_loss(0, x), ce + 0.5 * p.weight_decay * x @ x, rtol=1e-13)


def test_mlp_from_npz(tmp_path):
    rng = np.random.default_rng(0)
    f = tmp_path / "mini_mnist.npz"
    np.savez(f, x_train=rng.integers(0, 256, (40, 5, 5), dtype=np.uint8),
             y_train=rng.integers(0, 3, 40, dtype=np.uint8) * 2)   # labels {0, 2, 4}
    p = P.mlp(n=3, hidden=2, data=str(f), seed=0)
    assert p.in_dim == 25 and p.classes == 3 and p.samples_per_node.sum() == 40
    assert max(np.abs(F).max() for F in p.node_features) <= 1.0
    bad = tmp_path / "bad.npz"
    np.savez(bad, images=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="expected 'x_train' and 'y_train'"):
        P.mlp(data=str(bad))


# -- n = 1 and bad input ------------------------------------------------------------------

@pytest.mark.parametrize("name", list(SMALL))
def test_single_node(name):
    p = P.make(name, **{**SMALL[name], "n": 1})
    x = p.initial_point(0) + 0.05
    assert np.allclose(p.full_grad(x), p.grad(0, x), rtol=1e-14, atol=0)
    assert np.isclose(p.loss(x), p.local_loss(0, x), rtol=1e-14)


@pytest.mark.parametrize("name,kw,match", [
    ("quadratic", dict(n=0), "n must be an integer >= 1, got 0"),
    ("quadratic", dict(n=2.5), r"n must be an integer >= 1, got 2.5 \(float\)"),
    ("quadratic", dict(n=True), r"n must be an integer >= 1, got True \(bool\)"),
    ("quadratic", dict(dim=0), "dim must be an integer >= 1, got 0"),
    ("quadratic", dict(heterogeneity=-1), "heterogeneity = -1.0"),
    ("quadratic", dict(heterogeneity=float("nan")), "heterogeneity = nan"),
    ("quadratic", dict(condition=0.5), "condition = 0.5"),
    ("quadratic", dict(seed=-1), "seed must be an integer >= 0, got -1"),
    ("quadratic", dict(seed=np.random.default_rng()), "seed = Generator"),
    ("logistic", dict(samples_per_node=0), "samples_per_node must be an integer >= 1, got 0"),
    ("logistic", dict(dim=-3), "dim must be an integer >= 1, got -3"),
    ("logistic", dict(rho=float("inf")), "rho = inf"),
    ("logistic_data", dict(n=0), "n must be an integer >= 1, got 0"),
    ("logistic_data", dict(data=3), "data = 3"),
    ("mlp", dict(hidden=0), "hidden must be an integer >= 1, got 0"),
    ("mlp", dict(samples_per_node=0), "samples_per_node must be an integer >= 1, got 0"),
    ("mlp", dict(weight_decay=-1), "weight_decay = -1.0"),
    ("mlp", dict(data="nowhere.npz"), "nowhere.npz"),
])
def test_bad_constructor_arguments(name, kw, match):
    # wrong types raise TypeError, wrong values ValueError (decopt.validation's rule)
    with pytest.raises((ValueError, TypeError), match=match):
        P.make(name, **kw)


@pytest.mark.parametrize("value", ["8", 4.0, True])
def test_non_int_is_a_type_error_everywhere(value, tmp_path):
    """The package-wide rule: an integer argument given a non-int raises TypeError naming
    the value, in problems, decopt.run, theory and study files alike."""
    import decopt
    from decopt import study as st
    from decopt import theory as th
    with pytest.raises(TypeError, match=repr(value)[:3]):
        P.quadratic(n=value)
    with pytest.raises(TypeError, match="steps must be an integer"):
        decopt.run("gt", P.quadratic(n=4), "exp:4", steps=value, step_size=0.1)
    with pytest.raises(TypeError, match="n must be an integer"):
        th._n(value)
    doc = {"study": {"steps": value}, "problem": {"name": "quadratic"},
           "topology": {"spec": "exp:4"}, "algorithm": [{"name": "gt", "step_size": 0.1}]}
    with pytest.raises(TypeError, match=r"\[study\] steps must be an integer"):
        st.parse_study(doc)


@pytest.mark.parametrize("name", list(SMALL))
def test_bad_iterates(name):
    p = P.make(name, **SMALL[name])
    d, n = p.dim, p.n
    good = np.zeros(d)
    with pytest.raises(ValueError, match=rf"x has shape \({d + 1},\), expected \({d},\)"):
        p.grad(0, np.zeros(d + 1))
    with pytest.raises(ValueError, match=rf"node index i = {n}"):
        p.grad(n, good)
    with pytest.raises(ValueError, match="node index i = 1.0"):
        p.local_loss(1.0, good)
    bad = good.copy()
    bad[0] = np.nan
    with pytest.raises(P.NonFiniteError, match="x contains NaN or inf"):
        p.grad(0, bad)
    with pytest.raises(ValueError, match="x contains NaN or inf"):
        p.loss(np.full(d, np.inf))
    with pytest.raises(ValueError, match=r"x has shape \(2, 3, 1\)"):
        p.full_grad(np.zeros((2, 3, 1)) if d != 1 else np.zeros((2, 3, 2)))
    with pytest.raises(ValueError, match=rf"X has shape \(2, {d}\), expected \(\.\.\., 3, {d}\)"):
        p.grads([0, 0, 0], np.zeros((2, d)))
    with pytest.raises(ValueError, match=rf"nodes contains {n}"):
        p.grads([0, n], np.zeros((2, d)))
    with pytest.raises(ValueError, match="nodes has dtype float64"):
        p.grads(np.array([0.0]), np.zeros((1, d)))
    with pytest.raises(ValueError, match="weights has shape"):
        p.weighted_minimizer(np.ones(n + 1))
    with pytest.raises(ValueError, match="weights contains -1.0"):
        p.weighted_minimizer(-np.ones(n))


def test_bad_sample_indices():
    p = P.logistic(n=3, dim=2, samples_per_node=5)
    X = np.zeros((2, 3, 2))
    with pytest.raises(ValueError, match=r"idx\[0, 1, 2\] = 5, expected 0 <= idx < 5"):
        idx = np.zeros((2, 3, 4), dtype=int)
        idx[0, 1, 2] = 5
        p.sample_grads([0, 1, 2], X, idx)
    with pytest.raises(ValueError, match="= -1"):
        p.sample_grads([0, 1, 2], X, -np.ones((3, 1), dtype=int))
    with pytest.raises(ValueError, match="expected a batch size b >= 1"):
        p.sample_grads([0, 1, 2], X, np.zeros((3, 0), dtype=int))
    with pytest.raises(ValueError, match=r"idx has shape \(2, 4\)"):
        p.sample_grads([0, 1, 2], X, np.zeros((2, 4), dtype=int))
    with pytest.raises(ValueError, match="integer"):
        p.sample_grads([0, 1, 2], X, np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"idx has shape \(5, 3, 2\)"):
        p.sample_grads([0, 1, 2], X, np.zeros((5, 3, 2), dtype=int))
    assert p.sample_grads([0, 1, 2], X, np.zeros((3, 2), dtype=int)).shape == (2, 3, 2)

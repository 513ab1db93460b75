"""The LIBSVM reader and the bundled data sets."""

import gzip
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import decopt.problems as P
from decopt.problems import data as D
from decopt.problems import load_libsvm


def write(tmp_path, text, name="f.libsvm"):
    f = tmp_path / name
    f.write_text(text)
    return f


def test_load_libsvm_small(tmp_path):
    f = write(tmp_path, "1 1:0.5 3:-2\n\n0 2:1e-3   # comment\n1 qid:4 3:7\n")
    X, y = load_libsvm(f)
    assert X.dtype == np.float64 and X.shape == (3, 3)
    assert np.array_equal(X, [[0.5, 0, -2], [0, 1e-3, 0], [0, 0, 7]])
    assert np.array_equal(y, [1, -1, 1])
    X5, _ = load_libsvm(str(f), n_features=5)
    assert X5.shape == (3, 5) and np.array_equal(X5[:, :3], X)


@pytest.mark.parametrize("labels,expected", [
    (["-1", "+1", "1"], [-1, 1, 1]),
    (["0", "1", "0"], [-1, 1, -1]),
    (["1", "2", "2"], [-1, 1, 1]),
    (["1.0", "1", "1"], [1, 1, 1]),
])
def test_label_mapping(tmp_path, labels, expected):
    f = write(tmp_path, "".join(f"{lab} 1:1\n" for lab in labels))
    assert np.array_equal(load_libsvm(f)[1], expected)


@pytest.mark.parametrize("text,match", [
    ("1 1:2\n1 2:x\n", r"line 2: malformed token '2:x'"),
    ("1 1:2\n\nabc 1:1\n", r"line 3: label 'abc' is not a number"),
    ("1 0:1\n", r"line 1: feature index 0 .* 1-based"),
    ("1 -3:1\n", r"line 1: feature index -3"),
    ("1 1:1 1:2\n", r"line 1: feature index 1 appears twice"),
    ("1 1\n", r"line 1: malformed token '1'"),
    ("1 1:nan\n", r"line 1: value 'nan' of feature 1 is not finite"),
    ("1 a:1\n", r"line 1: malformed token 'a:1'"),
    ("", r"no data lines"),
    ("1\n0\n", r"no features found"),
    ("1 1:1\n3 1:1\n", r"labels \[1.0, 3.0\] are not binary"),
])
def test_load_libsvm_malformed(tmp_path, text, match):
    with pytest.raises(ValueError, match=match):
        load_libsvm(write(tmp_path, text))


def test_load_libsvm_n_features(tmp_path):
    f = write(tmp_path, "1 1:1 4:2\n")
    with pytest.raises(ValueError, match="line 1: feature index 4 exceeds n_features = 3"):
        load_libsvm(f, n_features=3)
    with pytest.raises(ValueError, match="n_features must be an integer >= 1, got 0"):
        load_libsvm(f, n_features=0)


def test_load_libsvm_gzip(tmp_path):
    f = tmp_path / "f.libsvm.gz"
    with gzip.open(f, "wt") as fh:
        fh.write("2 1:1.5\n1 2:-1\n")
    X, y = load_libsvm(f)
    assert np.array_equal(X, [[1.5, 0], [0, -1]]) and np.array_equal(y, [1, -1])


@settings(max_examples=25, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 5)),
              elements=st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False)),
       st.data())
def test_load_libsvm_round_trip(tmp_path_factory, X, data):
    y = np.array(data.draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=X.shape[0],
                                    max_size=X.shape[0])))
    lines = [f"{int(lab):+d} " + " ".join(f"{j + 1}:{float(v)!r}" for j, v in enumerate(row)
                                         if v != 0) for lab, row in zip(y, X)]
    f = tmp_path_factory.mktemp("rt") / "r.libsvm"
    f.write_text("\n".join(lines) + "\n")
    X2, y2 = load_libsvm(f, n_features=X.shape[1])
    assert np.array_equal(X2, X) and np.array_equal(y2, y)


def test_bundled_files_exist_and_are_small():
    for name in ("breast_cancer", "digits"):
        path = D.bundled_path(name)
        assert path.exists() and path.stat().st_size < 100_000


def test_bundled_data_equal_scikit_learn():
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = D.load_breast_cancer()
    bc = datasets.load_breast_cancer()
    assert np.array_equal(X, bc.data) and np.array_equal(y, np.where(bc.target, 1.0, -1.0))
    X, y, C = D.load_digits()
    dg = datasets.load_digits()
    assert C == 10 and np.array_equal(X, dg.data / 16) and np.array_equal(y, dg.target)


def test_missing_bundle_without_sklearn(monkeypatch, tmp_path):
    monkeypatch.setattr(D, "DATA_DIR", tmp_path / "absent")
    monkeypatch.setitem(sys.modules, "sklearn", None)           # import sklearn fails
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        P.logistic_data(n=2)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        P.mlp(n=2)


def test_missing_bundle_falls_back_to_sklearn(monkeypatch, tmp_path):
    pytest.importorskip("sklearn")
    ref = P.logistic_data(n=3).checksum()
    monkeypatch.setattr(D, "DATA_DIR", tmp_path / "absent")
    assert P.logistic_data(n=3).checksum() == ref               # identical data
    assert P.mlp(n=3, hidden=2).checksum() == P.mlp(n=3, hidden=2).checksum()

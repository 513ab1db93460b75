"""Issue 13: LIBSVM files that overflow, describe absurd sizes or are not text.

Each must raise a ValueError naming the file (and the line where there is one) before
anything large is allocated, through the API and through the CLI (exit 2, one line).
"""

import gzip
import tracemalloc

import pytest

import decopt
from decopt.problems import load_libsvm

from _robust_helpers import run_cli


def _write(tmp_path, text, name="f.libsvm"):
    f = tmp_path / name
    f.write_bytes(text if isinstance(text, bytes) else text.encode())
    return f


def test_huge_values_are_refused_naming_the_line(tmp_path):
    # 1e308 used to become all-zero features after standardising (inf - inf = nan
    # silently replaced); now the value is refused where it stands.
    f = _write(tmp_path, "1 1:0.5 2:1\n-1 1:1e308 2:3\n1 1:2 2:1\n")
    with pytest.raises(ValueError, match=r"f\.libsvm, line 2: value '1e308' of feature 1 "
                                         r"is too large"):
        load_libsvm(f)
    with pytest.raises(ValueError, match="line 2"):
        decopt.problems.logistic_data(n=2, data=str(f))


def test_values_below_the_limit_still_load(tmp_path):
    f = _write(tmp_path, "1 1:1e149 2:1\n-1 1:-1e149 2:3\n")
    X, _ = load_libsvm(f)
    assert X[0, 0] == 1e149
    prob = decopt.problems.logistic_data(n=2, data=str(f))   # standardising stays finite
    assert prob.n == 2


def test_absurd_index_is_refused_before_allocating(tmp_path):
    # A 30-byte file with feature index 10**8 used to allocate 6 GB before failing.
    f = _write(tmp_path, "1 100000000:1\n-1 1:1\n+1 2:1\n")
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"feature index 100000000 on line 1.*too large"):
            load_libsvm(f)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20, f"peak {peak / 2**20:.0f} MiB before the error"


def test_not_utf8_is_a_value_error_naming_the_file(tmp_path):
    f = _write(tmp_path, b"1 1:0.5\n\xff\xfe 2:1\n")
    with pytest.raises(ValueError, match=r"f\.libsvm: byte \d+ is not UTF-8"):
        load_libsvm(f)


def test_gz_name_on_a_plain_file(tmp_path):
    f = _write(tmp_path, "1 1:0.5\n", name="f.libsvm.gz")
    with pytest.raises(ValueError, match=r"f\.libsvm\.gz: not a readable gzip file"):
        load_libsvm(f)
    g = tmp_path / "ok.libsvm.gz"
    g.write_bytes(gzip.compress(b"1 1:0.5\n-1 1:2\n"))
    assert load_libsvm(g)[0].shape == (2, 1)


@pytest.mark.parametrize("content", [b"1 1:1e308\n-1 1:1\n", b"1 1:1\n\xff 2:1\n",
                                     b"1 100000000:1\n-1 1:1\n"])
def test_cli_exit_2_one_line(tmp_path, content):
    f = _write(tmp_path, content)
    out = tmp_path / "out"
    r = run_cli("run", "--algorithm", "push_pull", "--topology", "exp:2", "--problem",
                "logistic_data", "--problem-param", f"data={f}", "--steps", "3",
                "--step-size", "0.1", "--out", str(out))
    assert r.returncode == 2, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and str(f) in lines[0], r.stderr
    assert not out.exists() or not any(out.rglob("run.json"))

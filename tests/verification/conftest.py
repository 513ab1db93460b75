"""Shared computations of the verification tests: the unmutated quick table, once."""

from __future__ import annotations

import pytest

from decopt import verify


@pytest.fixture(scope="session")
def quick_rows():
    """``decopt verify --quick`` rows (about 40 s of CPU), shared by test_verify.py and
    test_mutations.py."""
    return verify.run_claims(quick=True)

"""Claims 6a-6d of decopt.verify_communication, each with the control that makes it
FAIL (run in the suite)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from decopt import compression as comp
from decopt import verify_communication as vc
from decopt.algorithms.compressed import DirectCompressedGossip


def test_choco_converges_linearly():
    ok, d = vc.check_choco_linear()
    assert ok, d
    assert d["rate"] < 0.99


def test_choco_without_public_copies_stalls():
    """Negative control of 6a: compressing x itself leaves a compression error that
    never decays."""
    ok, d = vc.check_choco_linear(method=DirectCompressedGossip)
    assert not ok and d["final_relative_error"] > 1e-3, d


def test_choco_needs_fewer_bits_than_gt():
    ok, d = vc.check_bits_to_target()
    assert ok, d
    assert d["ratio"] > 5            # measured: ~17x


def test_fewer_bits_claim_fails_without_public_copies():
    ok, d = vc.check_bits_to_target(method=DirectCompressedGossip)
    assert not ok and d["bits_compressed"] == np.inf, d


def test_randk_unbiased_claim_and_its_control():
    assert vc.check_unbiased()[0]
    ok, d = vc.check_unbiased(comp.RandK(0.3, scaled=False))
    # the bias (k/d - 1) x is many standard errors away, not a borderline miss
    assert not ok and d["max_standard_errors"] > 5 * vc.TOL_SE, d


@dataclass(frozen=True)
class BottomK(comp.TopK):
    """Broken top-k: keeps the k smallest entries (same k, same claimed delta)."""

    def _apply(self, x, u):
        k = comp._k_of(self.ratio, x.shape[-1])
        idx = np.argsort(np.abs(x), axis=-1)[..., :k]
        out = np.zeros_like(x)
        np.put_along_axis(out, idx, np.take_along_axis(x, idx, axis=-1), axis=-1)
        return out


def test_topk_contraction_claim_and_its_control():
    ok, d = vc.check_contraction()
    assert ok, d
    ok, d = vc.check_contraction(BottomK(0.1))
    assert not ok and d["worst_ratio"] > d["bound"], d


def test_claim_rows_pass():
    rows = vc.claim_compression()
    assert [r["id"] for r in rows] == ["6a", "6b", "6c", "6d"]
    assert all(r["verdict"] == "PASS" for r in rows), [(r["id"], r["measurement"]) for r in rows]

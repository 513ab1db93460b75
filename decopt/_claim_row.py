"""The row of a ``decopt verify`` table, shared by every claim module."""

from __future__ import annotations


def _row(cid, claim, prediction, measurement, ok, **details) -> dict:
    """One table row: ``id``, ``claim``, ``prediction``, ``measurement``, ``verdict``
    ("PASS" if ``ok`` else "FAIL") and ``details`` (the numbers behind it)."""
    return {"id": cid, "claim": claim, "prediction": prediction,
            "measurement": measurement, "verdict": "PASS" if ok else "FAIL",
            "details": details}

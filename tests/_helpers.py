"""Assertions shared by several test files."""

import numpy as np


def same_history(a, b):
    """Two results have identical histories, wall-clock columns aside."""
    assert set(a.history) == set(b.history)
    for k in a.history:
        if k != "time":
            np.testing.assert_array_equal(np.asarray(a.history[k]), np.asarray(b.history[k]),
                                          err_msg=k)

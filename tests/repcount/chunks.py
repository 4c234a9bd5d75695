"""A recording fed to the live counter in chunks of varying size, as a BLE stream delivers it."""

from __future__ import annotations

import numpy as np

from repcount.live import RepCounter


def feed(t_s: np.ndarray, acc_g: np.ndarray, sizes: list[int]) -> RepCounter:
    """Step a new counter through the samples in chunks of ``sizes`` (cycled), then flush it."""
    counter = RepCounter()
    i, k = 0, 0
    while i < len(t_s):
        n = sizes[k % len(sizes)]
        counter.step(t_s[i : i + n], acc_g[i : i + n])
        i, k = i + n, k + 1
    counter.flush()
    return counter

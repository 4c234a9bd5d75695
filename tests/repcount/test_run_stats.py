"""`repcount.runs`' short-list statistics give numpy's numbers exactly (they replace ``np.median``,
``np.percentile(., 75)`` and ``np.diff`` in the set search for speed, so a set's count must not depend on them)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from repcount.runs import _upper_quartile, median, spacings

_values = st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=40)


@given(_values)
def test_median_is_numpys(values: list[float]) -> None:
    assert median(values) == float(np.median(values))


@given(_values)
def test_upper_quartile_is_numpys(values: list[float]) -> None:
    assert _upper_quartile(values) == float(np.percentile(values, 75))


@given(_values)
def test_spacings_are_numpys(values: list[float]) -> None:
    assert spacings(values) == np.diff(values).tolist()


def test_nan_and_empty_give_nan() -> None:
    assert np.isnan(median([1.0, float("nan")])) and np.isnan(median([]))
    assert np.isnan(_upper_quartile([float("nan"), 2.0])) and np.isnan(_upper_quartile([]))

"""The instruments' bounds, exactly: every value on a scale is accepted, every value off it refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from service.models import CheckinIn

SCALES = {"feeling": ("pre", -5, 5), "arousal": ("post", 1, 6), "srpe": ("srpe", 0, 10), "sleep": ("morning", 1, 7),
          "stress": ("morning", 1, 7), "fatigue": ("morning", 1, 7), "soreness": ("morning", 1, 7)}


@given(st.sampled_from(sorted(SCALES)), st.integers(-100, 100))
def test_scales_accept_exactly_their_range(field: str, value: int) -> None:
    kind, low, high = SCALES[field]
    body = {"kind": kind, field: value, "session_id": 1}
    if low <= value <= high:
        assert getattr(CheckinIn.model_validate(body), field) == value
    else:
        with pytest.raises(ValidationError, match=field):
            CheckinIn.model_validate(body)


@given(st.floats(allow_nan=True))
def test_fractional_ratings_are_refused(value: float) -> None:
    if float(value).is_integer() and -5 <= value <= 5:
        return
    with pytest.raises(ValidationError):
        CheckinIn.model_validate({"kind": "pre", "feeling": value})

import math

import numpy as np

from repcount.hrv import rmssd_ms


def test_rmssd_known_answer() -> None:
    assert rmssd_ms(np.array([800.0, 810.0, 790.0])) == math.sqrt((100 + 400) / 2)


def test_rmssd_too_short_is_nan() -> None:
    assert math.isnan(rmssd_ms(np.array([800.0])))
    assert math.isnan(rmssd_ms(np.array([])))

"""The numpydoc examples of repcount.hrv run and stay true."""

import doctest
import importlib

import pytest

MODULES = ["artifacts", "frequency", "metrics", "nonlinear", "readings", "rolling", "session", "synth", "time_domain"]


@pytest.mark.parametrize("name", MODULES)
def test_examples(name: str) -> None:
    module = importlib.import_module(f"repcount.hrv.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0

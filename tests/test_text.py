"""Numbers as text and "did you mean": one implementation each, used by every layer."""

import math

import numpy as np
import pandas as pd
import pytest

from cdisc_map.core.text import closest, did_you_mean, number_text, numbers_as_text


@pytest.mark.parametrize("value, text", [
    (3.0, "3"), (-0.0, "0"), (2.5, "2.5"), (1.2000000000000002, "1.2000000000000002"),
    (0.1 + 0.2, "0.30000000000000004"),
    (1e-07, "0.0000001"), (1e20, "100000000000000000000"), (7, "7"), (np.int64(12), "12"), (np.float32(0.5), "0.5"),
    (float("nan"), ""), (None, ""), (pd.NA, ""), (math.inf, "inf"), ("001", "001"), (True, "True"),
])
def test_number_text(value, text):
    assert number_text(value) == text


def test_number_text_reads_back_as_the_same_double():
    values = np.random.default_rng(3).standard_normal(2000) * 10.0 ** np.random.default_rng(4).integers(-8, 9, 2000)
    for value in values:
        assert float(number_text(value)) == value


def test_numbers_as_text_of_a_column_keeps_text_and_writes_numbers_once_each():
    assert numbers_as_text(pd.Series([1.0, 2.5, np.nan, 1.0])).tolist() == ["1", "2.5", "", "1"]
    assert numbers_as_text(pd.Series(["a", None, "b"], dtype=object)).tolist() == ["a", "", "b"]
    assert numbers_as_text(pd.Series([True, False])).tolist() == ["True", "False"]


def test_closest_prefers_a_transposition_then_case_then_similarity():
    assert closest("form", ["from", "format", "forms"]) == "from"
    assert closest("exstdtc", ["EXSTDTC", "EXENDTC"]) == "EXSTDTC"
    assert closest("usubjd", ["usubjid", "subjid", "siteid"]) == "usubjid"
    assert closest("zzz", ["copy", "date"]) is None


def test_did_you_mean_says_so_or_lists_what_is_allowed():
    assert did_you_mean("numbr", ["number", "copy"]) == "did you mean 'number'?"
    assert did_you_mean("zzz", ["copy", "date"]) is None
    assert did_you_mean("zzz", ["copy", "date"], list_all=True) == "write one of: copy, date"

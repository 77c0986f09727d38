"""Text columns as the report compares them."""

import numpy as np
import pandas as pd

from cdisc_map.report.columns import column_text, distinct_text, trimmed


def test_text_is_trimmed_missing_is_blank_and_upper_case_on_request():
    values = pd.Series([" Death ", None, np.nan, "death", " Death "] * 10)
    assert list(trimmed(values)[:5]) == ["Death", "", "", "death", "Death"]
    assert list(trimmed(values, upper=True)[:5]) == ["DEATH", "", "", "DEATH", "DEATH"]


def test_an_absent_column_is_blank_in_every_record():
    frame = pd.DataFrame({"A": [1, 2]})
    assert list(column_text(frame, "B")) == ["", ""]


def test_distinct_values_in_order_of_first_appearance_without_blanks():
    assert distinct_text(pd.Series(["S-2 ", "S-1", None, " ", "S-2", "S-1"])) == ["S-2", "S-1"]

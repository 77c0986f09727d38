import pandas as pd
import pytest

from cdisc_map.spec import conditions

FRAME = pd.DataFrame({
    "Eligible": ["Yes", "No ", "", "yes"],
    "Blasts": ["2.5", "<1", "12", ""],
})


def mask(condition):
    return conditions.evaluate(condition, lambda kind, name: FRAME[name], FRAME.index).tolist()


def test_eq_compares_trimmed_text_exactly():
    assert mask({"col": "Eligible", "eq": "No"}) == [False, True, False, False]
    assert mask({"col": "Eligible", "eq": "Yes"}) == [True, False, False, False]


def test_missing_and_membership():
    assert mask({"col": "Eligible", "missing": True}) == [False, False, True, False]
    assert mask({"col": "Eligible", "in": ["Yes", "yes"]}) == [True, False, False, True]
    assert mask({"col": "Eligible", "not_in": ["Yes"]}) == [False, True, True, True]


def test_numeric_comparison_is_false_for_non_numbers():
    assert mask({"col": "Blasts", "ge": 10}) == [False, False, True, False]
    assert mask({"col": "Blasts", "lt": 10}) == [True, False, False, False]


def test_combinators():
    cond = {"all": [{"col": "Eligible", "eq": "Yes"}, {"not": {"col": "Blasts", "missing": True}}]}
    assert mask(cond) == [True, False, False, False]
    assert mask({"any": [{"col": "Eligible", "eq": "No"}, {"col": "Blasts", "eq": 12}]}) == [False, True, True, False]


def test_exactly_one_operator():
    with pytest.raises(ValueError, match="exactly one"):
        mask({"col": "Eligible", "eq": "Yes", "ne": "No"})


def test_fields_lists_what_a_condition_reads():
    cond = {"all": [{"col": "A", "eq": 1}, {"not": {"var": "DTHDTC", "missing": True}}]}
    assert conditions.fields(cond) == [("col", "A"), ("var", "DTHDTC")]

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


@pytest.mark.parametrize("condition, words", [
    (None, "all records"),
    ({"var": "DSCAT", "eq": "DISPOSITION EVENT"}, "DSCAT = 'DISPOSITION EVENT'"),
    ({"var": "AGE", "lt": 40}, "AGE < 40"),
    ({"col": "Eligible", "ne": "No"}, "Eligible <> 'No'"),
    ({"var": "RSSTRESC", "in": ["CR", "PR"]}, "RSSTRESC in ('CR', 'PR')"),
    ({"var": "X", "not_in": ["A"]}, "X not in ('A')"),
    ({"var": "DTHDTC", "missing": False}, "DTHDTC is not missing"),
    ({"all": [{"var": "A", "eq": 1}, {"any": [{"var": "B", "eq": 2}, {"var": "C", "eq": 3}]}]},
     "A = 1 and (B = 2 or C = 3)"),
    ({"not": {"var": "A", "missing": True}}, "not (A is missing)"),
])
def test_one_wording_of_conditions_for_define_xml_and_messages(condition, words):
    assert conditions.describe(condition) == words

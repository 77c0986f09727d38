"""What a workbook row says enough for: the mapping inferred, or the placeholder and its to-do;
and what a mapping can give before any data (the terms of its codelist, whole numbers or not)."""

import pytest

from cdisc_map.spec.registry import ADAM, method_text
from cdisc_map.workbook.export import code_text
from cdisc_map.workbook.infer import Codelist, Row, from_code, infer
from cdisc_map.workbook.starter import crf_pages as pages
from cdisc_map.workbook.values import possible_values, whole_numbers


def row(name="AETERM", kind="Char", **facts) -> Row:
    return Row("AE", name, kind, domain="AE", **facts)


@pytest.mark.parametrize("mapping", [
    {"derive": "first_date", "dataset": "EX", "var": "EXSTDTC", "where": {"var": "EXTRT", "eq": "DRUG A"}},
    {"when": [{"if": {"col": "Eligible", "eq": "No"}, "then": {"constant": "SCREEN FAILURE"}}],
     "else": {"constant": ""}},
    {"derive": "epoch", "of": "AESTDTC", "epochs": [
        {"epoch": "SCREENING", "start": "RFICDTC"},
        {"epoch": "FOLLOW-UP", "start": {"dataset": "PR", "var": "PRSTDTC"}}]},
])
def test_the_expression_code_is_the_mapping_back(mapping):
    assert from_code(code_text({**mapping, "method": "words", "origin": "Derived"})) == mapping
    assert infer(row(origin="Derived", code=code_text(mapping))).mapping == mapping


def test_code_that_is_not_the_spec_language_is_no_mapping():
    assert from_code("AGE = floor((RFICDTC - BRTHDTC) / 365.25);") is None
    assert from_code("{nothing: here}") is None and from_code("{derive: no_such_thing}") is None
    assert from_code("{derive: seq, by: [unclosed") is None  # not YAML at all: no mapping, no traceback
    assert infer(row(origin="Derived", code="if x then y;")).todo


@pytest.mark.parametrize(("method", "expected"), [
    ("Earliest EXSTDTC of the subject's EX records.", {"derive": "first_date", "var": "EXSTDTC", "dataset": "EX"}),
    ("Completed years from BRTHDTC to RFICDTC.", {"derive": "age", "of": "BRTHDTC", "ref": "RFICDTC"}),
    ("Earliest RFICDTC in DM over all subjects.", {"derive": "study_first_date", "var": "RFICDTC", "dataset": "DM"}),
])
def test_a_method_in_our_wording_is_that_derivation(method, expected):
    found = infer(Row("DM", "X", "Char", origin="Derived", method=method))
    assert found.mapping == expected and not found.todo
    assert method_text(found.mapping).rstrip(".") == method.rstrip(".")  # the wording it was read from


def test_a_condition_in_the_wording_is_not_guessed():
    found = infer(Row("DM", "RFSTDTC", "Char", origin="Derived",
                      method="Earliest EXSTDTC of the subject's EX records where EXTRT = 'DRUG A'."))
    assert found.todo and "the method says" in found.todo


def test_well_known_variables_when_the_origin_agrees():
    siblings = frozenset({"AESTDTC"})
    assert infer(row("AESEQ", "Num", origin="Derived")).mapping == {"derive": "seq"}
    assert infer(row("AESTDY", "Num", origin="Derived", siblings=siblings)).mapping == \
        {"derive": "study_day", "of": "AESTDTC"}
    assert infer(row("AESTDY", "Num", origin="Derived")).todo  # no AESTDTC mapped: not guessed
    assert infer(row("USUBJID")).mapping == {"derive": "usubjid"}  # no origin given
    assert infer(row("USUBJID", origin="Collected")).todo  # a collected USUBJID is not ours to derive
    assert infer(row("SITEID", origin="Collected")).mapping == {"derive": "siteid"}


def test_assigned_values_and_predecessors():
    assert infer(row("AEDOSE", "Num", origin="Assigned", assigned="2.5")).mapping == {"constant": 2.5}
    assert infer(row("VISITNUM", "Num", origin="Assigned", assigned="3")).mapping == {"constant": 3}
    assert infer(Row("ADSL", "AGE", "Num", origin="Predecessor", predecessor="DM.AGE"), ADAM).mapping == \
        {"copy": "AGE"}
    other = infer(Row("ADSL", "EXTRT", "Char", origin="Predecessor", predecessor="EX.EXTRT"), ADAM)
    assert other.mapping == {"copy": "EXTRT"} and "Predecessor EX.EXTRT" in other.todo


def test_placeholders_by_type_origin_and_codelist():
    sex = Codelist("SEX", ("F", "M"), full=False)
    assert infer(row("SEX", codelist=sex, origin="Collected")).mapping == \
        {"ct": "SEX", "col": "SEX", "values": {"F": "F", "M": "M"}}
    race = Codelist("RACE", ("ASIAN", "WHITE"))
    assert infer(row("RACE", codelist=race, origin="Collected")).mapping == {"ct": "RACE", "col": "RACE"}
    assert infer(row("AESTDTC", origin="Collected")).mapping == {"date": "AESTDTC"}
    assert infer(row("AEDOSE", "Num", origin="Collected")).mapping == {"number": "AEDOSE"}
    assigned = infer(row("AEHLT", origin="Assigned"))
    assert assigned.mapping == {"constant": ""} and "write its value" in assigned.todo
    coded = infer(row("AEDECOD", origin="Assigned", dictionary="MedDRA"))
    assert coded.mapping == {"copy": "AEDECOD"} and "coded with MedDRA" in coded.todo
    assert infer(Row("ADSL", "SAFFL", "Char", origin="Derived"), ADAM).mapping == {"copy": "SAFFL"}


def test_the_terms_a_mapping_can_give():
    assert possible_values({"constant": "CHN"}) == {"CHN"}
    assert possible_values({"ct": "NY", "col": "Serious", "values": {"Yes": "Y", "No": "N"}}) == {"Y", "N"}
    assert possible_values({"ct": "NY", "col": "Serious"}) is None  # any term of NY can come through
    assert possible_values({"when": [{"if": {"col": "A", "eq": "1"}, "then": {"constant": "Y"}}],
                            "else": {"constant": "N"}}) == {"Y", "N"}
    assert possible_values({"when": [{"if": {"col": "A", "eq": "1"}, "then": {"copy": "B"}}]}) is None
    assert possible_values({"derive": "epoch", "of": "AESTDTC", "epochs": [{"epoch": "SCREENING", "start": "X"}]}) \
        == {"SCREENING"}
    assert possible_values({"copy": "SEX"}, lambda name: {"F", "M"}) == {"F", "M"}  # ADSL's copy of DM.SEX
    assert possible_values({"constant": "a", "case": "upper"}) is None  # reshaped: not the constant any more
    assert possible_values({"derive": "last_value", "var": "DSDECOD", "dataset": "DS", "values": {"X": "Y"},
                            "otherwise": "ONGOING"}) is None  # unmapped values pass through


def test_whole_numbers_are_integer_the_rest_float():
    assert whole_numbers({"derive": "seq"}) and whole_numbers({"derive": "sas_date", "of": "RFSTDTC"})
    assert whole_numbers({"constant": 28}) and not whole_numbers({"constant": 2.5})
    assert not whole_numbers({"number": "Dose"})
    assert whole_numbers({"when": [{"if": {"var": "AGE", "lt": 40}, "then": {"constant": 1}}],
                          "else": {"constant": 2}})
    assert whole_numbers({"copy": "AGE"}, lambda name: name == "AGE")


def test_crf_pages_as_workbooks_write_them():
    assert pages("12") == [12] and pages("12 14") == [12, 14] and pages("12, 14") == [12, 14]
    assert pages("10-12") == [10, 11, 12] and pages("") == [] and pages("see aCRF") == []


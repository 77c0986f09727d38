"""SDTMIG 3.4 metadata: facts spot-checked against the IG, and loader behaviour."""

import re

import pytest

from cdisc_map.standards import (
    UnknownStandardError,
    available_sdtmig_versions,
    load_ct,
    load_sdtmig,
)

ROLES = {
    "Identifier",
    "Topic",
    "Timing",
    "Grouping Qualifier",
    "Result Qualifier",
    "Synonym Qualifier",
    "Record Qualifier",
    "Variable Qualifier",
    "Rule",
}
DATASETS = ["DM", "CM", "EX", "PR", "AE", "DS", "IE", "RS", "TA", "TE", "TV", "TI", "TS", "SV", "MH", "LB",
            "VS", "SUPPQUAL"]


@pytest.fixture(scope="module")
def ig():
    return load_sdtmig("3.4")


def all_variables(ig):
    return [var for name in ig.datasets() for var in ig.variables(name)]


def test_bundled_version_and_datasets(ig):
    assert available_sdtmig_versions() == ["3.4"]
    assert ig.datasets() == DATASETS


@pytest.mark.parametrize(
    ("dataset", "name", "order", "label", "type_", "core", "role"),
    [
        ("DM", "USUBJID", 3, "Unique Subject Identifier", "Char", "Req", "Identifier"),
        ("DM", "SUBJID", 4, "Subject Identifier for the Study", "Char", "Req", "Topic"),
        (
            "DM",
            "RFXSTDTC",
            7,
            "Date/Time of First Study Treatment",
            "Char",
            "Exp",
            "Record Qualifier",
        ),
        (
            "DM",
            "ARMNRS",
            28,
            "Reason Arm and/or Actual Arm is Null",
            "Char",
            "Exp",
            "Record Qualifier",
        ),
        (
            "DM",
            "ACTARMUD",
            29,
            "Description of Unplanned Actual Arm",
            "Char",
            "Exp",
            "Record Qualifier",
        ),
        ("DM", "AGE", 19, "Age", "Num", "Exp", "Record Qualifier"),
        ("DM", "SEX", 21, "Sex", "Char", "Req", "Record Qualifier"),
        ("DM", "ETHNIC", 23, "Ethnicity", "Char", "Perm", "Record Qualifier"),
        ("DM", "COUNTRY", 30, "Country", "Char", "Req", "Record Qualifier"),
        ("AE", "AESEQ", 5, "Sequence Number", "Num", "Req", "Identifier"),
        (
            "AE",
            "AETERM",
            9,
            "Reported Term for the Adverse Event",
            "Char",
            "Req",
            "Topic",
        ),
        (
            "AE",
            "AEDECOD",
            13,
            "Dictionary-Derived Term",
            "Char",
            "Req",
            "Synonym Qualifier",
        ),
        (
            "AE",
            "AELLTCD",
            12,
            "Lowest Level Term Code",
            "Num",
            "Exp",
            "Variable Qualifier",
        ),
        (
            "AE",
            "AESDISAB",
            39,
            "Persist or Signif Disability/Incapacity",
            "Char",
            "Perm",
            "Record Qualifier",
        ),
        (
            "AE",
            "AETOXGR",
            50,
            "Standard Toxicity Grade",
            "Char",
            "Perm",
            "Record Qualifier",
        ),
        (
            "AE",
            "AEENRTPT",
            59,
            "End Relative to Reference Time Point",
            "Char",
            "Perm",
            "Timing",
        ),
        ("EX", "EXDOSE", 13, "Dose", "Num", "Exp", "Record Qualifier"),
        ("EX", "EXSTDTC", 28, "Start Date/Time of Treatment", "Char", "Exp", "Timing"),
        (
            "DS",
            "DSDECOD",
            9,
            "Standardized Disposition Term",
            "Char",
            "Req",
            "Synonym Qualifier",
        ),
        ("RS", "RSTESTCD", 10, "Assessment Short Name", "Char", "Req", "Topic"),
        ("RS", "VISITNUM", 29, "Visit Number", "Num", "Exp", "Timing"),
        (
            "TS",
            "TSVALNF",
            8,
            "Parameter Value Null Flavor",
            "Char",
            "Perm",
            "Result Qualifier",
        ),
        ("SUPPQUAL", "QVAL", 8, "Data Value", "Char", "Req", "Result Qualifier"),
    ],
)
def test_ig_facts(ig, dataset, name, order, label, type_, core, role):
    var = ig.variable(dataset, name)
    assert (var.order, var.label, var.type, var.core, var.role) == (
        order,
        label,
        type_,
        core,
        role,
    )


def test_arm_variables_are_expected_not_required_in_3_4(ig):
    for name in ("ARMCD", "ARM", "ACTARMCD", "ACTARM"):
        assert ig.variable("DM", name).core == "Exp"


def test_ae_carries_all_serious_criteria_and_meddra_hierarchy(ig):
    names = {var.name for var in ig.variables("AE")}
    serious = {
        "AESCAN",
        "AESCONG",
        "AESDISAB",
        "AESDTH",
        "AESHOSP",
        "AESLIFE",
        "AESOD",
        "AESMIE",
    }
    meddra = {
        "AELLT",
        "AELLTCD",
        "AEPTCD",
        "AEHLT",
        "AEHLTCD",
        "AEHLGT",
        "AEHLGTCD",
        "AEBODSYS",
        "AEBDSYCD",
        "AESOC",
        "AESOCCD",
    }
    assert serious | meddra <= names
    assert all(ig.variable("AE", name).codelist == "NY" for name in serious)


def test_codelist_references(ig):
    assert (
        ig.variable("DM", "SEX").codelist,
        ig.variable("DM", "SEX").codelist_code,
    ) == (
        "SEX",
        "C66731",
    )
    assert ig.variable("EX", "EXROUTE").codelist_code == "C66729"
    dsdecod = ig.variable("DS", "DSDECOD")
    assert dsdecod.codelists == ("NCOMPLT", "PROTMLST", "OTHEVENT")
    assert len(dsdecod.codelist_codes) == 3


def test_dataset_metadata(ig):
    ex = ig.dataset("EX")
    assert ex.label == "Exposure"
    assert ex.cls == "Interventions"
    assert ex.keys == ("STUDYID", "USUBJID", "EXTRT", "EXSTDTC")
    assert ig.dataset("DM").structure == "One record per subject"
    assert ig.dataset("TS").cls == "Trial Design"
    assert ig.dataset("rs").label == "Disease Response and Clin Classification"


def test_keys_name_variables_of_their_dataset(ig):
    for name in ig.datasets():
        names = {var.name for var in ig.variables(name)}
        missing = set(ig.dataset(name).keys) - names
        assert not missing, (name, missing)


def test_table_shape_rules(ig):
    for name in ig.datasets():
        variables = ig.variables(name)
        assert [var.order for var in variables] == list(range(1, len(variables) + 1))
        assert variables[0].name == "STUDYID"
        assert len({var.name for var in variables}) == len(variables)
    for var in all_variables(ig):
        assert re.fullmatch(r"[A-Z][A-Z0-9]{0,7}", var.name), var
        assert 0 < len(var.label) <= 40, var
        assert var.type in {"Char", "Num"}, var
        assert var.core in {"Req", "Exp", "Perm"}, var
        assert var.role in ROLES, var
        assert len(var.codelists) == len(var.codelist_codes), var
        assert var.description, var


def test_every_referenced_codelist_is_bundled_with_the_same_code(ig):
    """A codelist a bundled variable names is in the bundled CT with that code, except the codelists of
    Permissible variables no bundled study maps (LBTSTCND's), which the subset does not carry."""
    ct = load_ct()
    not_carried = []
    for var in all_variables(ig):
        for short, code in zip(var.codelists, var.codelist_codes, strict=True):
            if short not in ct:
                assert var.core == "Perm", (var.dataset, var.name, code)
                not_carried.append(var.name)
                continue
            assert ct.codelist(short).code == code, (var.dataset, var.name, short)
    assert sorted(not_carried) == ["LBANMETH", "LBCOLSRT", "LBRESSCL", "LBRESTYP", "LBTMTHSN", "LBTSTCND",
                                   "LBTSTOPO"]


def test_supp_datasets_resolve_to_suppqual(ig):
    supp = ig.dataset("SUPPAE")
    assert supp.name == "SUPPAE"
    assert supp.label == "Supplemental Qualifiers for AE"
    assert supp.keys == ig.dataset("SUPPQUAL").keys
    variables = ig.variables("suppdm")
    assert [var.name for var in variables] == [
        var.name for var in ig.variables("SUPPQUAL")
    ]
    assert {var.dataset for var in variables} == {"SUPPDM"}
    assert ig.variable("SUPPAE", "QNAM").core == "Req"


def test_unknown_dataset_and_variable_raise_clear_key_errors(ig):
    with pytest.raises(KeyError) as caught:
        ig.dataset("EG")
    assert "no dataset 'EG'" in str(caught.value)
    assert "DM" in str(caught.value)
    with pytest.raises(UnknownStandardError, match="no variable AEFOO in AE"):
        ig.variable("AE", "AEFOO")


def test_loader_is_cached_and_rejects_unknown_versions():
    assert load_sdtmig() is load_sdtmig("3.4")
    with pytest.raises(UnknownStandardError, match="available: 3.4"):
        load_sdtmig("3.2")

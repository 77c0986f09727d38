"""Controlled terminology: the bundled subset, lookup rules, and the EVS package reader."""

import re

import pytest

from cdisc_map.standards import (
    Codelist,
    Term,
    Terminology,
    available_ct_versions,
    load_ct,
    load_ct_package,
)
from cdisc_map.standards.terminology import (
    COLUMNS,
    NotInstalledError,
    TerminologyError,
    UnknownCodelistError,
)

HEADER = "\t".join(COLUMNS)


@pytest.fixture(scope="module")
def ct():
    return load_ct()


def write_package(path, rows, *, bom=False, encoding="utf-8", newline="\n"):
    text = newline.join([HEADER, *rows]) + newline
    data = text.encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


# --- the bundled subset ---------------------------------------------------------


def test_bundled_versions_and_newest_default(ct):
    assert available_ct_versions() == ["2024-09-27"]
    assert ct.version == "2024-09-27"
    assert load_ct("2024-09-27") is ct
    assert (ct.origin, ct.is_full, ct.description) == ("bundled", False, "bundled subset 2024-09-27")


def test_a_release_not_installed_falls_back_to_the_subset_and_says_so():
    stand_in = load_ct("2019-12-20")
    assert stand_in.version == "2024-09-27" and stand_in.requested == "2019-12-20"
    assert stand_in.description == "bundled subset 2024-09-27 (CT 2019-12-20 is not installed)"
    with pytest.raises(NotInstalledError, match=r"SDTM CT 2019-12-20 is not installed.*ct download 2019-12-20"):
        load_ct("2019-12-20", fallback=False)
    with pytest.raises(NotInstalledError, match="ADaM CT 2025-03-28 is not installed"):
        load_ct("2025-03-28", package="ADaM")


def test_all_codes_are_nci_c_codes(ct):
    for codelist in ct.values():
        assert re.fullmatch(r"C\d+", codelist.code), codelist.code
        for term in codelist:
            assert re.fullmatch(r"C\d+", term.code), (codelist.short_name, term)


def test_no_duplicate_submission_values_or_codes_within_a_codelist(ct):
    for codelist in ct.values():
        values = codelist.submission_values()
        assert len(values) == len(set(values)), codelist.short_name
        codes = [term.code for term in codelist]
        assert len(codes) == len(set(codes)), codelist.short_name
        assert codelist.terms, codelist.short_name


@pytest.mark.parametrize(
    ("short", "code", "extensible", "terms"),
    [
        ("SEX", "C66731", False, {"F": "C16576", "M": "C20197", "U": "C17998"}),
        ("NY", "C66742", False, {"N": "C49487", "Y": "C49488", "NA": "C48660"}),
        ("ROUTE", "C66729", True, {"INTRAVENOUS": "C38276", "ORAL": "C38288"}),
        ("UNIT", "C71620", True, {"mg": "C28253", "ug": "C48152", "%": "C25613"}),
        ("FREQ", "C71113", True, {"QD": "C25473", "ONCE": "C64576"}),
        (
            "EPOCH",
            "C99079",
            True,
            {"SCREENING": "C48262", "TREATMENT": "C101526", "FOLLOW-UP": "C99158"},
        ),
        (
            "AESEV",
            "C66769",
            False,
            {"MILD": "C41338", "MODERATE": "C41339", "SEVERE": "C41340"},
        ),
        (
            "ARMNULRS",
            "C142179",
            True,
            {"SCREEN FAILURE": "C49628", "NOT ASSIGNED": "C142239"},
        ),
        ("TPHASE", "C66737", True, {"PHASE II TRIAL": "C15601"}),
    ],
)
def test_verified_codelist_facts(ct, short, code, extensible, terms):
    codelist = ct.codelist(short)
    assert (codelist.code, codelist.extensible) == (code, extensible)
    assert ct.codelist(code) is codelist
    for value, term_code in terms.items():
        assert codelist.lookup(value).code == term_code


@pytest.mark.parametrize(
    ("short", "values"),
    [
        ("UNIT", ["ug/day", "mg", "mg/m2", "mg/kg", "%", "10^6/kg", "DAYS", "YEARS"]),
        ("ROUTE", ["INTRAVENOUS", "INTRAVENOUS DRIP", "ORAL", "SUBCUTANEOUS"]),
        (
            "FRM",
            [
                "SOLUTION",
                "INJECTION",
                "TABLET",
                "INJECTION, POWDER, LYOPHILIZED, FOR SOLUTION",
            ],
        ),
        ("NCOMPLT", ["COMPLETED", "DEATH", "LOST TO FOLLOW-UP", "SCREEN FAILURE"]),
        ("DSCAT", ["DISPOSITION EVENT", "PROTOCOL MILESTONE", "OTHER EVENT"]),
        (
            "TSPARMCD",
            [
                "SSTDTC",
                "TITLE",
                "TPHASE",
                "STYPE",
                "TBLIND",
                "TCNTRL",
                "INTMODEL",
                "NARMS",
                "PLANSUB",
                "ADDON",
                "AGEMIN",
                "AGEMAX",
                "SEXPOP",
                "HLTSUBJI",
                "INDIC",
                "TRT",
                "REGID",
                "SPONSOR",
                "SENDTC",
                "ACTSUB",
            ],
        ),
        ("COUNTRY", ["CHN"]),
        ("ONCRSR", ["CR", "PD"]),
    ],
)
def test_terms_the_project_needs_are_bundled(ct, short, values):
    assert set(values) <= set(ct.codelist(short).submission_values())


def test_tsparmcd_and_tsparm_pair_up_by_code(ct):
    names = {term.code: term.submission_value for term in ct["TSPARM"]}
    for term in ct["TSPARMCD"]:
        assert names[term.code] == term.preferred_term
        assert len(names[term.code]) <= 40


# --- lookup ---------------------------------------------------------------------


def test_lookup_by_case_blanks_synonym_and_preferred_term(ct):
    sex = ct["SEX"]
    assert sex.lookup("  f ").submission_value == "F"
    assert sex.lookup("female").submission_value == "F"
    assert sex.lookup("MALE").submission_value == "M"
    route = ct["ROUTE"]
    assert route.lookup("po").submission_value == "ORAL"
    assert route.lookup("oral route of administration").submission_value == "ORAL"
    assert ct["UNIT"].lookup("MCG").submission_value == "ug"


def test_lookup_misses_return_none(ct):
    assert ct["SEX"].lookup("Woman") is None
    assert ct["SEX"].lookup("") is None
    assert ct["SEX"].lookup("   ") is None
    assert ct["SEX"].lookup(None) is None


def make_codelist(*terms):
    return Codelist(
        code="C1", name="Test", short_name="TEST", extensible=True, terms=terms
    )


def term(code, value, synonyms=(), preferred=""):
    return Term(
        code=code,
        submission_value=value,
        synonyms=tuple(synonyms),
        definition="",
        preferred_term=preferred,
    )


def test_exact_case_beats_folded_case_and_value_beats_synonym():
    codelist = make_codelist(
        term("C2", "Pa", preferred="Pascal"),
        term("C3", "PA", synonyms=["Per Annum", "pa"]),
    )
    assert codelist.lookup("Pa").code == "C2"
    assert codelist.lookup("PA").code == "C3"
    assert codelist.lookup("pascal").code == "C2"


def test_ambiguous_synonym_never_guesses():
    codelist = make_codelist(
        term("C2", "ONE", synonyms=["Shared"]), term("C3", "TWO", synonyms=["shared"])
    )
    assert codelist.lookup("shared") is None
    assert codelist.lookup("ONE").code == "C2"


def test_membership_is_exact():
    codelist = make_codelist(term("C2", "mL"))
    assert "mL" in codelist
    assert "ML" not in codelist
    assert len(codelist) == 1


def test_terminology_mapping_by_name_and_code(ct):
    assert "SEX" in ct and "sex" in ct and "C66731" in ct
    assert ct["sex"] is ct["C66731"]
    assert "SEX" in list(ct)
    assert len(ct) == len(set(ct))
    with pytest.raises(KeyError) as caught:
        ct.codelist("NOSUCH")
    assert "no codelist 'NOSUCH'" in str(caught.value)
    assert isinstance(caught.value, UnknownCodelistError)


# --- reading EVS packages -------------------------------------------------------

SAMPLE_ROWS = [
    "C66731\t\tNo\tSex\tSEX\tSex\tSex of the individual.\tCDISC SDTM Sex of Individual Terminology",
    "C16576\tC66731\t\tSex\tF\tFemale\tA female person.\tFemale",
    'C20197\tC66731\t\tSex\tM\tMale\t"Quoted; with ""quotes"" and a\ttab"\tMale',
    "C71620\t\tYes\tUnit\tUNIT\tUnit\tUnits of measure.\tCDISC SDTM Unit of Measure Terminology",
    "C48152\tC71620\t\tUnit\tug\tmcg; Microgram\tOne millionth of a gram.\tMicrogram",
]


def test_load_package_with_bom_quoted_field_and_crlf(tmp_path):
    path = write_package(
        tmp_path / "SDTM Terminology 2025-03-28.txt",
        SAMPLE_ROWS,
        bom=True,
        newline="\r\n",
    )
    ct = load_ct_package(path)
    assert isinstance(ct, Terminology)
    assert ct.version == "2025-03-28"
    assert sorted(ct) == ["SEX", "UNIT"]
    sex = ct["SEX"]
    assert (sex.code, sex.name, sex.extensible) == ("C66731", "Sex", False)
    assert sex.lookup("m").definition == 'Quoted; with "quotes" and a\ttab'
    assert ct["UNIT"].extensible is True
    assert ct["UNIT"].lookup("microgram").synonyms == ("mcg", "Microgram")


def test_load_package_tolerates_blank_lines_and_terms_before_header(tmp_path):
    rows = [SAMPLE_ROWS[1], "", SAMPLE_ROWS[0], SAMPLE_ROWS[2]]
    ct = load_ct_package(write_package(tmp_path / "ct.txt", rows), version="x")
    assert ct.version == "x"
    assert ct["SEX"].submission_values() == ["F", "M"]


def test_load_package_falls_back_to_windows_1252(tmp_path):
    rows = [SAMPLE_ROWS[3], "C48152\tC71620\t\tUnit\tug\tµg\tMicrogram.\tMicrogram"]
    ct = load_ct_package(write_package(tmp_path / "ct.txt", rows, encoding="cp1252"))
    assert ct["UNIT"].lookup("µg").submission_value == "ug"


def test_load_csv_export_of_the_same_table(tmp_path):
    lines = [
        ",".join(f'"{c}"' for c in COLUMNS),
        '"C66742",,"No","No Yes Response","NY","No Yes Response","Y/N","NY"',
        '"C49488","C66742",,"No Yes Response","Y","Yes","Yes, a comma","Yes"',
    ]
    path = tmp_path / "ct.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert load_ct_package(path)["NY"].lookup("yes").definition == "Yes, a comma"


@pytest.mark.parametrize(
    ("rows", "header", "message"),
    [
        ([], "Code\tCodelist Code\tCDISC Submission Value", "missing column"),
        (
            ["C16576\tC66731\t\tSex\tF\tFemale\tA female person.\tFemale"],
            HEADER,
            "codelist C66731, which has no header row",
        ),
        (["C66731\t\tMaybe\tSex\tSEX\tSex\tdef\tpt"], HEADER, "expected Yes or No"),
    ],
)
def test_malformed_packages_are_reported(tmp_path, rows, header, message):
    path = tmp_path / "bad.txt"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    with pytest.raises(TerminologyError, match=message):
        load_ct_package(path)


def test_unreadable_package_is_reported(tmp_path):
    with pytest.raises(TerminologyError, match="cannot read CT package"):
        load_ct_package(tmp_path / "missing.txt")

"""export-spec: the bundled study's specs as a P21-style spec workbook, checked against define.xml.

The independent references are the define.xml that `cdisc-map run` writes from the
data (every variable, label, origin, method and comment must say the same), the P21
layout's sheet and column names, and the column patterns metacore's `spec_to_metacore`
uses to find each table in such a workbook.
"""

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from conftest import BUNDLED_STUDY, EPOCH

from cdisc_map.cli import main
from cdisc_map.core.problems import ProblemsError
from cdisc_map.workbook.export import export_study
from cdisc_map.workbook.layout import SHEETS, read_book, write_book
from define_xml.reader import load


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    """The bundled study's workbook, written by the CLI with SOURCE_DATE_EPOCH set."""
    path = tmp_path_factory.mktemp("workbook") / "spec.xlsx"
    result = CliRunner(env={"SOURCE_DATE_EPOCH": EPOCH}).invoke(main, ["export-spec", str(BUNDLED_STUDY), str(path)])
    assert result.exit_code == 0, result.output
    assert "Wrote" in result.output and "16 SDTM and 2 ADaM datasets" in result.output
    return path


@pytest.fixture(scope="module")
def book(workbook):
    return read_book(workbook)


def rows(book, sheet, **where):
    return [r for r in book.rows(sheet) if all(r[k.replace("_", " ")] == v for k, v in where.items())]


def test_the_sheets_and_columns_are_the_p21_layout(workbook):
    opened = openpyxl.load_workbook(workbook, read_only=True)
    assert opened.sheetnames == list(SHEETS)
    for name, columns in SHEETS.items():
        header = next(opened[name].iter_rows(values_only=True))
        assert tuple(header) == columns, name
    assert SHEETS["Datasets"][:11] == ("Dataset", "Label", "Class", "SubClass", "Structure", "Key Variables",
                                       "Standard", "Has No Data", "Repeating", "Reference Data", "Comment")
    assert SHEETS["Variables"][:20] == (
        "Order", "Dataset", "Variable", "Label", "Data Type", "Length", "Significant Digits", "Format", "Mandatory",
        "Assigned Value", "Codelist", "Common", "Origin", "Source", "Pages", "Method", "Predecessor", "Role",
        "Has No Data", "Comment")


#: The column patterns metacore's spec_to_metacore looks for (its readers' documented defaults), by table:
#: a reader takes the one sheet whose columns match every pattern, and each pattern must name one column.
#: (metacore's "[V|v]ariable [[N|n]ame]?" is an ICU nested set; written here as Python reads the same names.)
METACORE = {
    "ds_spec": ["[N|n]ame|[D|d]ataset|[D|d]omain", "[S|s]tructure", "[L|l]abel|[D|d]escription"],
    "ds_vars": ["[D|d]ataset|[D|d]omain", "[V|v]ariable [N|n]ame|[V|v]ariables?", "[V|v]ariable [O|o]rder|[O|o]rder",
                "[K|k]eep|[M|m]andatory"],
    "key_seq": ["Dataset", "Key Variables"],
    "var_spec": ["[N|n]ame|[V|v]ariables?", "[L|l]ength", "[L|l]abel", "[T|t]ype", "[D|d]ataset|[D|d]omain",
                 "[F|f]ormat"],
    "value_spec": ["[D|d]ataset|[D|d]omain", "[N|n]ame|[V|v]ariables?", "[O|o]rigin", "[T|t]ype",
                   "[C|c]odelist|Controlled Term", "[S|s]ignificant", "[W|w]here", "[M|m]ethod", "[P|p]redecessor"],
    "where": ["ID", "Variable", "Comparator", "Value"],
    "codelist": ["ID", "[N|n]ame", "^[C|c]ode|^[T|t]erm", "[D|d]ecode"],
    "dictionary": ["ID", "[N|n]ame", "[D|d]ictionary", "[V|v]ersion"],
    "derivations": ["ID", "[D|d]efinition|[D|d]escription"],
}
#: The sheets each metacore reader looks in (None: every sheet), and the one it must find.
METACORE_SHEETS = {"ds_spec": (None, "Datasets"), "ds_vars": ("[V|v]ar|Datasets", "Variables"),
                   "key_seq": ("[V|v]ar|Datasets", "Datasets"), "var_spec": ("[V|v]ar", "Variables"),
                   "value_spec": (None, "ValueLevel"), "where": (None, "WhereClauses"),
                   "codelist": (None, "Codelists"), "dictionary": (None, "Dictionaries"),
                   "derivations": ("Method|Derivations?", "Methods")}


def test_metacore_finds_each_table_in_one_sheet_and_each_column_once():
    assert not any(re.search("ADSL|DM", name) for name in SHEETS)  # else metacore reads it as a by-dataset spec
    for table, patterns in METACORE.items():
        sheets, wanted = METACORE_SHEETS[table]
        candidates = [name for name in SHEETS if sheets is None or re.search(sheets, name)]
        found = [name for name in candidates if all(any(re.search(p, c) for c in SHEETS[name]) for p in patterns)]
        assert found == [wanted], table
        for pattern in patterns:
            columns = [c for c in SHEETS[wanted] if re.search(pattern, c)]
            exact = [c for c in SHEETS[wanted] if re.search(f"^{pattern}$", c)]
            assert len(columns) == 1 or len(exact) == 1, (table, pattern, columns)


def test_every_dataset_and_variable_says_what_the_runs_define_xml_says(book, bundled_run):
    """Labels, order, keys, origins, sources, predecessors, methods, comments, codelists: as define.xml."""
    variables = {(r["Dataset"], r["Variable"]): r for r in book.rows("Variables")}
    datasets = {r["Dataset"]: r for r in book.rows("Datasets")}
    methods = {r["ID"]: r["Description"] for r in book.rows("Methods")}
    comments = {r["ID"]: r["Description"] for r in book.rows("Comments")}
    checked = 0
    for folder in (bundled_run.sdtm, bundled_run.adam):
        define = load(folder / "define.xml")
        define_methods = {m.oid: m.description for m in define.methods}
        define_comments = {c.oid: c.text for c in define.comments}
        by_condition = {item_oid for value_list in define.value_lists for item in value_list.items
                        if item.codelist_oid for item_oid in [value_list.oid.replace("VL.", "IT.")]}
        for group in define.datasets:
            row = datasets[group.name]
            keyed = sorted((v for v in group.variables if v.key_sequence), key=lambda v: v.key_sequence)
            keys = [v.name for v in keyed]
            assert (row["Label"], row["Class"], row["Structure"], row["Key Variables"], row["Repeating"]) == (
                group.label, group.cls, group.structure, ", ".join(keys), "Yes" if group.repeating else "No")
            assert comments.get(row["Comment"], "") == define_comments.get(group.comment_oid, "")
            assert [name for (dataset, name) in variables if dataset == group.name] == \
                [v.name for v in group.variables]
            for item in group.variables:
                row = variables[(group.name, item.name)]
                expected = (str(item.order), item.label, "Yes" if item.mandatory else "No", item.origin_type or "",
                            item.origin_source or "", item.origin_description or "", item.role or "",
                            item.display_format or "")
                assert (row["Order"], row["Label"], row["Mandatory"], row["Origin"], row["Source"],
                        row["Predecessor"], row["Role"], row["Format"]) == expected, (group.name, item.name)
                assert methods.get(row["Method"], "") == define_methods.get(item.method_oid, ""), item.oid
                assert comments.get(row["Comment"], "") == define_comments.get(item.comment_oid, ""), item.oid
                if item.codelist_oid and item.oid not in by_condition:
                    assert row["Codelist"] == item.codelist_oid.removeprefix("CL."), item.oid
                if row["Data Type"] in ("text", "datetime", "integer"):  # float: whole numbers may be integer
                    assert row["Data Type"] == item.data_type, item.oid
                checked += 1
    assert checked == len(variables) > 200


def test_what_only_the_data_can_tell_is_left_empty(book):
    for sheet in ("Variables", "ValueLevel"):
        assert not any(r["Length"] or r["Significant Digits"] for r in book.rows(sheet))
    assert not any(r["Has No Data"] for r in book.rows("Variables") + book.rows("Datasets"))


def test_every_reference_is_in_its_sheet_and_every_row_is_referenced(book):
    refs = {sheet: {r["ID"] for r in book.rows(sheet)} for sheet in ("Methods", "Comments", "WhereClauses")}
    codelists = {r["ID"] for r in book.rows("Codelists")} | {r["ID"] for r in book.rows("Dictionaries")}
    used = {"Methods": set(), "Comments": set(), "WhereClauses": set(), "Codelists": set()}
    for row in book.rows("Variables") + book.rows("ValueLevel") + book.rows("Datasets"):
        for column, sheet in (("Method", "Methods"), ("Comment", "Comments"), ("Where Clause", "WhereClauses"),
                              ("Codelist", "Codelists")):
            if row[column]:
                used[sheet].add(row[column])
    assert used["Methods"] == refs["Methods"] and used["Comments"] == refs["Comments"]
    assert used["WhereClauses"] == refs["WhereClauses"]
    assert used["Codelists"] <= codelists and {r["ID"] for r in book.rows("Codelists")} <= used["Codelists"]


def test_codelists_list_the_terms_the_specs_give(book):
    def terms(codelist):
        return [(r["Term"], r["NCI Term Code"]) for r in rows(book, "Codelists", ID=codelist)]

    assert terms("COUNTRY") == []  # ISO 3166, no CDISC codelist in SDTMIG 3.4: the constant is its value
    assert [t for t, _ in terms("NY")] == ["N", "NA", "U", "Y"]  # AESER: {ct: NY, col: Serious}: any term
    assert [t for t, _ in terms("ARMNULRS")] == ["ASSIGNED, NOT TREATED", "SCREEN FAILURE"]  # when's constants
    assert [t for t, _ in terms("EPOCH")] == ["FOLLOW-UP", "SCREENING", "TREATMENT"]  # the epochs' names
    assert ("ISO 8601", "") in terms("DICTNAM")  # a sponsor extension: no NCI code
    assert rows(book, "Variables", Dataset="DM", Variable="COUNTRY")[0]["Assigned Value"] == "CHN"
    dsdecod = rows(book, "ValueLevel", Dataset="DS", Variable="DSDECOD")
    assert [(r["Where Clause"], r["Codelist"]) for r in dsdecod][:2] == [
        ("WC.DS.DSCAT.PROTOCOL_MILESTONE", "PROTMLST"), ("WC.DS.DSCAT.DISPOSITION_EVENT", "NCOMPLT")]
    assert rows(book, "Variables", Dataset="DS", Variable="DSDECOD")[0]["Codelist"] == ""
    assert [t for t, _ in terms("PROTMLST")] == ["INFORMED CONSENT OBTAINED"]
    where = rows(book, "WhereClauses", ID="WC.DS.DSCAT.PROTOCOL_MILESTONE")
    assert [(r["Dataset"], r["Variable"], r["Comparator"], r["Value"]) for r in where] == [
        ("DS", "DSCAT", "EQ", "PROTOCOL MILESTONE")]
    meddra = rows(book, "Variables", Dataset="AE", Variable="AEDECOD")[0]
    assert meddra["Codelist"] == "MEDDRA" and rows(book, "Variables", Dataset="AE", Variable="AEPTCD")[0][
        "Codelist"] == "MEDDRA.CODE"
    assert [(r["ID"], r["Data Type"], r["Version"]) for r in book.rows("Dictionaries")] == [
        ("MEDDRA", "text", "27.0"), ("MEDDRA.CODE", "integer", "27.0")]


def test_a_derivations_method_carries_its_mapping_as_code(book):
    age = rows(book, "Variables", Dataset="DM", Variable="AGE")[0]
    method = rows(book, "Methods", ID=age["Method"])[0]
    assert method["Expression Context"] == "cdisc-map"
    assert yaml.safe_load(method["Expression Code"]) == {"derive": "age", "of": "BRTHDTC", "ref": "RFICDTC"}
    pfs = rows(book, "ValueLevel", Dataset="ADTTE", Variable="AVAL", Label="Progression-Free Survival (days)")[0]
    code = rows(book, "Methods", ID=pfs["Method"])[0]["Expression Code"]
    assert yaml.safe_load(code) == yaml.safe_load((BUNDLED_STUDY / "adam" / "adtte" / "pfs.yaml").read_text())
    collected = rows(book, "Variables", Dataset="AE", Variable="AETERM")[0]
    assert collected["Origin"] == "Collected" and collected["Method"] == ""


def test_the_same_specs_and_time_give_the_same_bytes(workbook, tmp_path):
    again = tmp_path / "again.xlsx"
    result = CliRunner(env={"SOURCE_DATE_EPOCH": EPOCH}).invoke(main, ["export-spec", str(BUNDLED_STUDY), str(again)])
    assert result.exit_code == 0, result.output
    assert again.read_bytes() == workbook.read_bytes()


def test_one_package_at_a_time(tmp_path):
    book = export_study(BUNDLED_STUDY, packages=("adam",)).book
    assert [r["Dataset"] for r in book.rows("Datasets")] == ["ADSL", "ADTTE"]
    assert {r["Name"] for r in book.rows("Standards")} == {"ADaMIG", "CDISC/NCI"}
    path = tmp_path / "sdtm.xlsx"
    result = CliRunner().invoke(main, ["export-spec", str(BUNDLED_STUDY), str(path), "--package", "sdtm"])
    assert result.exit_code == 0 and "16 SDTM and 0 ADaM datasets" in result.output
    assert "ADSL" not in {r["Dataset"] for r in read_book(path).rows("Datasets")}


def test_a_spec_still_being_written_exports_with_what_check_spec_says(tmp_path):
    study = tmp_path / "study"
    shutil.copytree(BUNDLED_STUDY, study)
    ae = study / "sdtm" / "ae.yaml"
    ae.write_text(ae.read_text().replace("AESTDY:  {derive: study_day, of: AESTDTC}",
                                         "AESTDY:  {derive: study_day, of: AESTDTX}"))
    exported = export_study(study)
    assert any("AESTDTX" in p.message and p.severity == "warning" for p in exported.problems)
    assert rows(exported.book, "Variables", Dataset="AE", Variable="AESTDY")


def test_a_spec_that_cannot_be_read_stops_the_export_and_nothing_is_written(tmp_path):
    study = tmp_path / "study"
    shutil.copytree(BUNDLED_STUDY, study)
    (study / "sdtm" / "cm.yaml").write_text("dataset: CM\nkeys: [STUDYID\n")
    with pytest.raises(ProblemsError) as caught:
        export_study(study)
    assert "cm.yaml" in str(caught.value.problems[0])
    target = tmp_path / "spec.xlsx"
    result = CliRunner().invoke(main, ["export-spec", str(study), str(target)])
    assert result.exit_code == 1 and "cm.yaml" in result.output and "was not written" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not target.exists()


def test_a_folder_where_the_workbook_goes_is_refused_without_a_traceback(tmp_path):
    exported = export_study(BUNDLED_STUDY, packages=("adam",))
    target = tmp_path / "missing" / "spec.xlsx"
    with pytest.raises(ProblemsError) as caught:
        write_book(exported.book, target, created=datetime(2026, 1, 1, tzinfo=UTC))
    assert "cannot write the workbook" in str(caught.value) and not target.exists()

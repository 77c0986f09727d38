"""Raw readers: every cell comes back as the exported text, every bad file as Problems."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdisc_map.core.problems import ProblemsError
from cdisc_map.io import readers
from cdisc_map.io.readers import RawForm, read_form

DATA = Path(__file__).parent / "data"


def assert_all_text(frame: pd.DataFrame) -> None:
    assert isinstance(frame.index, pd.RangeIndex)
    assert list(frame.dtypes.unique()) == [np.dtype(object)] or frame.shape[1] == 0
    for column in frame.columns:
        assert all(type(value) is str for value in frame[column]), column


def problems_of(excinfo: pytest.ExceptionInfo) -> list:
    return excinfo.value.problems


# --- CSV -----------------------------------------------------------------------------

EDC_CSV = (
    "Subject ID,AE.Term,Dose (μg/day),Grade,Comment\r\n"
    '001,"Fever, high",8,NA,  trailing blanks  \r\n'
    '002,"Rash ""maculopapular""",2.50,,"two\r\nlines"\r\n'
    "010,,28,3,\r\n"
)


def test_csv_values_are_kept_exactly_as_exported(tmp_path):
    path = tmp_path / "adverse_events.csv"
    path.write_bytes(b"\xef\xbb\xbf" + EDC_CSV.encode("utf-8"))  # with a BOM, CRLF

    form = read_form(path)

    assert isinstance(form, RawForm)
    assert form.name == "adverse_events"
    assert form.path == path
    assert form.first_row == 2
    assert list(form.frame.columns) == [
        "Subject ID",
        "AE.Term",
        "Dose (μg/day)",
        "Grade",
        "Comment",
    ]
    assert form.frame.to_dict("list") == {
        "Subject ID": ["001", "002", "010"],
        "AE.Term": ["Fever, high", 'Rash "maculopapular"', ""],
        "Dose (μg/day)": ["8", "2.50", "28"],
        "Grade": ["NA", "", "3"],
        "Comment": ["  trailing blanks  ", "two\r\nlines", ""],
    }
    assert_all_text(form.frame)


def test_csv_without_bom_and_with_lf_reads_the_same(tmp_path):
    with_bom = tmp_path / "a.csv"
    with_bom.write_bytes(b"\xef\xbb\xbf" + EDC_CSV.encode("utf-8"))
    plain = tmp_path / "b.csv"
    plain.write_bytes(EDC_CSV.replace("\r\n", "\n").encode("utf-8"))

    first = read_form(with_bom, name="ae").frame
    second = read_form(plain).frame

    assert list(first.columns) == list(
        second.columns
    )  # the BOM is not in the first name
    assert second.loc[1, "Comment"] == "two\nlines"
    pd.testing.assert_frame_equal(
        first.drop(columns="Comment"), second.drop(columns="Comment")
    )


def test_row_number_is_the_row_the_user_sees(tmp_path):
    path = tmp_path / "dm.csv"
    path.write_text("SUBJID\n001\n002\n", encoding="utf-8")
    form = read_form(path)
    assert [form.row_number(i) for i in form.frame.index] == [2, 3]


def test_csv_header_only_gives_an_empty_text_frame(tmp_path):
    path = tmp_path / "dm.csv"
    path.write_text("SUBJID,SEX\n", encoding="utf-8")
    frame = read_form(path).frame
    assert list(frame.columns) == ["SUBJID", "SEX"]
    assert len(frame) == 0
    assert_all_text(frame)


def test_csv_ragged_rows_are_all_reported_with_their_row(tmp_path):
    path = tmp_path / "ae.csv"
    path.write_text('A,B,C\n1,2,3\n4,5\n"multi\nline",8,9\n6,7,8,9\n', encoding="utf-8")

    with pytest.raises(ProblemsError) as excinfo:
        read_form(path)

    problems = problems_of(excinfo)
    assert [(p.file, p.row) for p in problems] == [(str(path), 3), (str(path), 5)]
    assert "2 field(s) but the header has 3" in problems[0].message
    assert "line 6" in problems[1].message  # the multi-line record shifts lines
    assert "ae.csv" in str(excinfo.value)


def test_csv_blank_lines_at_the_end_are_ignored_but_not_in_the_middle(tmp_path):
    path = tmp_path / "dm.csv"
    path.write_text("A,B\n1,2\n\n\n", encoding="utf-8")
    assert len(read_form(path).frame) == 1

    path.write_text("A,B\n1,2\n\n3,4\n", encoding="utf-8")
    with pytest.raises(ProblemsError) as excinfo:
        read_form(path)
    assert problems_of(excinfo)[0].row == 3


def test_csv_single_column_blank_line_is_an_empty_value(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("SUBJID\n001\n\n003\n", encoding="utf-8")
    assert read_form(path).frame["SUBJID"].tolist() == ["001", "", "003"]


def test_csv_not_utf8_is_reported_with_its_line_and_read_with_the_right_encoding(
    tmp_path,
):
    path = tmp_path / "dm.csv"
    path.write_bytes("SUBJID,SITE\n001,Chengdu\n002,Clínica\n".encode("cp1252"))

    with pytest.raises(ProblemsError) as excinfo:
        read_form(path)
    message = str(excinfo.value)
    assert "not valid utf-8" in message and "line 3" in message and "0xED" in message
    assert problems_of(excinfo)[0].file == str(path)

    assert read_form(path, encoding="cp1252").frame["SITE"].tolist() == [
        "Chengdu",
        "Clínica",
    ]


def test_csv_unknown_encoding_name_is_a_problem(tmp_path):
    path = tmp_path / "dm.csv"
    path.write_text("A\n1\n", encoding="utf-8")
    with pytest.raises(ProblemsError, match="unknown text encoding"):
        read_form(path, encoding="no-such-codec")


def test_csv_duplicate_column_names_are_refused(tmp_path):
    path = tmp_path / "dm.csv"
    path.write_text("SUBJID,Visit,Visit\n001,1,2\n", encoding="utf-8")
    with pytest.raises(ProblemsError) as excinfo:
        read_form(path)
    problem = problems_of(excinfo)[0]
    assert (problem.column, problem.row, problem.file) == ("Visit", 1, str(path))


def test_csv_unterminated_quote_is_a_problem(tmp_path):
    path = tmp_path / "ae.csv"
    path.write_text('A,B\n1,"open\n2,3\n', encoding="utf-8")
    with pytest.raises(ProblemsError, match="cannot parse CSV"):
        read_form(path)


def test_trailing_delimiter_column_is_dropped_but_values_without_a_name_are_refused(
    tmp_path,
):
    path = tmp_path / "dm.csv"
    path.write_text("A,B,\n1,2,\n3,4,\n", encoding="utf-8")
    assert list(read_form(path).frame.columns) == ["A", "B"]

    path.write_text("A,B,\n1,2,\n3,4,oops\n", encoding="utf-8")
    with pytest.raises(ProblemsError) as excinfo:
        read_form(path)
    problem = problems_of(excinfo)[0]
    assert problem.row == 3 and "column 3" in problem.message


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "file not found"), ("", "empty"), ("\n\n", "empty")],
)
def test_missing_or_empty_csv(tmp_path, content, message):
    path = tmp_path / "dm.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ProblemsError, match=message) as excinfo:
        read_form(path)
    assert problems_of(excinfo)[0].file == str(path)


def test_unsupported_suffix_folder_and_sheet_for_csv_are_problems(tmp_path):
    other = tmp_path / "dm.sav"
    other.write_bytes(b"x")
    with pytest.raises(ProblemsError, match="unsupported file type"):
        read_form(other)
    folder = tmp_path / "forms.csv"
    folder.mkdir()
    with pytest.raises(ProblemsError, match="not a file"):
        read_form(folder)
    csv_path = tmp_path / "dm.csv"
    csv_path.write_text("A\n1\n", encoding="utf-8")
    with pytest.raises(ProblemsError, match="sheet"):
        read_form(csv_path, sheet="DM")


# --- XLSX ----------------------------------------------------------------------------


def write_workbook(path: Path) -> None:
    workbook = openpyxl.Workbook()
    cover = workbook.active
    cover.title = "Cover"
    cover.append(["Study", "NCT06111625"])
    sheet = workbook.create_sheet("Adverse Events")
    sheet.append(
        ["Subject ID", "AE Term", "Dose", "Start", "Start time", "Serious", "Time"]
    )
    sheet.append(
        [
            "001",
            "Fever ",
            8,
            date(2024, 3, 5),
            datetime(2024, 3, 5, 14, 30),
            True,
            time(8, 15),
        ]
    )
    sheet.append(
        [
            "002",
            "NA",
            2.5,
            datetime(2024, 3, 6),
            datetime(2024, 3, 6, 0, 0),
            False,
            None,
        ]
    )
    # row 4 left empty on purpose; row 5 has typed values that look like floats
    sheet.cell(row=5, column=1, value="003")
    sheet.cell(row=5, column=3, value=8.0)
    sheet.cell(row=5, column=4, value=0.1 + 0.2)
    sheet["D2"].number_format = "DD-MMM-YYYY"
    sheet["D3"].number_format = "yyyy-mm-dd"
    sheet["E3"].number_format = "dd/mm/yyyy hh:mm"  # a time format: midnight is kept
    sheet["G2"].number_format = "hh:mm:ss"
    sheet.cell(row=9, column=2).number_format = "0.00"  # formatted, empty: not a row
    workbook.save(path)


def test_xlsx_cells_are_rendered_as_the_text_the_user_sees(tmp_path):
    path = tmp_path / "ae.xlsx"
    write_workbook(path)

    form = read_form(path, sheet="Adverse Events")

    assert form.first_row == 2
    assert form.frame.to_dict("list") == {
        "Subject ID": ["001", "002", "", "003"],
        "AE Term": ["Fever ", "NA", "", ""],
        "Dose": ["8", "2.5", "", "8"],
        "Start": ["2024-03-05", "2024-03-06", "", "0.3"],
        "Start time": ["2024-03-05T14:30:00", "2024-03-06", "", ""],  # midnight reads as a date
        "Serious": ["TRUE", "FALSE", "", ""],
        "Time": ["08:15:00", "", "", ""],
    }
    assert_all_text(form.frame)
    assert form.row_number(3) == 5


def test_xlsx_whose_cells_begin_away_from_a1_keeps_its_rows_and_columns(tmp_path):
    path = tmp_path / "log.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["B1"], sheet["C1"] = "Subject", "Dose"  # column A empty: dropped, as a column with no name or value
    sheet["B3"], sheet["C4"] = "001", 8.0
    workbook.save(path)
    form = read_form(path)
    assert form.frame.to_dict("list") == {"Subject": ["", "001", ""], "Dose": ["", "", "8"]}
    assert form.row_number(1) == 3
    sheet.delete_rows(1)  # now row 1 is empty: there is no header
    workbook.save(path)
    with pytest.raises(ProblemsError, match="header"):
        read_form(path)


def test_xlsx_sheet_by_position_and_default_first(tmp_path):
    path = tmp_path / "ae.xlsx"
    write_workbook(path)
    assert list(read_form(path).frame.columns) == ["Study", "NCT06111625"]
    assert read_form(path, sheet=1).frame["Subject ID"].tolist()[0] == "001"


def test_xlsx_wrong_sheet_lists_the_sheets(tmp_path):
    path = tmp_path / "ae.xlsx"
    write_workbook(path)
    with pytest.raises(ProblemsError) as excinfo:
        read_form(path, sheet="AE")
    text = str(excinfo.value)
    assert (
        "no sheet named 'AE'" in text
        and "'Adverse Events'" in text
        and "ae.xlsx" in text
    )
    with pytest.raises(ProblemsError, match="no sheet number 5"):
        read_form(path, sheet=5)


def test_xlsx_duplicate_headers_are_refused(tmp_path):
    path = tmp_path / "dm.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["SUBJID", "SEX", "SUBJID"])
    workbook.active.append(["001", "F", "001"])
    workbook.save(path)
    with pytest.raises(ProblemsError, match="more than once") as excinfo:
        read_form(path)
    assert problems_of(excinfo)[0].column == "SUBJID"


def test_corrupt_xlsx_is_a_problem(tmp_path):
    path = tmp_path / "ae.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    with pytest.raises(
        ProblemsError, match="cannot open as an XLSX workbook"
    ) as excinfo:
        read_form(path)
    assert problems_of(excinfo)[0].file == str(path)


# --- SAS7BDAT and XPT ----------------------------------------------------------------

DM_AS_TEXT = {
    "SUBJID": ["001", "002", "003"],
    "SEX": ["F", "M", ""],
    "AGE": ["34", "61", ""],
    "WEIGHT": ["62.5", "80.25", ""],
    "DOSE": ["8 μg/day", "28", "NA"],
    "COMMENT": ["  leading blanks", "2.50", ""],
}


def test_sas7bdat_values_as_text():
    path = DATA / "dm.sas7bdat"
    form = read_form(path)
    assert form.first_row == 1
    assert form.name == "dm"
    assert form.frame.to_dict("list") == DM_AS_TEXT
    assert_all_text(form.frame)


def test_sas7bdat_fixture_is_readable_by_pandas_too():
    frame = pd.read_sas(DATA / "dm.sas7bdat", encoding="utf-8")
    assert frame["SUBJID"].tolist() == ["001", "002", "003"]
    assert frame["WEIGHT"].tolist()[:2] == [62.5, 80.25]


@pytest.mark.parametrize("version", [5, 8])
def test_xpt_numbers_and_dates_as_text(tmp_path, version):
    source = pd.DataFrame(
        {
            "SUBJID": ["001", "002", "003"],
            "AGE": [34.0, 61.0, np.nan],
            "WEIGHT": [62.5, 0.1, np.nan],
            "DOSE": [1e-07, 2e16, -0.25],  # never an exponent: the text every layer writes
            "RFICDT": [23440.0, 23467.0, np.nan],  # SAS days: 2024-03-05, 2024-04-01
            "RFICDTM": [2025268200.0, np.nan, 0.0],  # SAS seconds since 1960
            "NOTE": ["NA", "", "x"],
        }
    )
    path = tmp_path / "dm.xpt"
    pyreadstat.write_xport(
        source,
        str(path),
        table_name="DM",
        file_format_version=version,
        variable_format={"RFICDT": "DATE9.", "RFICDTM": "DATETIME20."},
    )

    form = read_form(path)

    assert form.first_row == 1
    assert form.frame.to_dict("list") == {
        "SUBJID": ["001", "002", "003"],
        "AGE": ["34", "61", ""],
        "WEIGHT": ["62.5", "0.1", ""],
        "DOSE": ["0.0000001", "20000000000000000", "-0.25"],
        "RFICDT": ["2024-03-05", "2024-04-01", ""],
        "RFICDTM": ["2024-03-05T14:30:00", "", "1960-01-01T00:00:00"],
        "NOTE": ["NA", "", "x"],
    }
    assert_all_text(form.frame)


@pytest.mark.parametrize("name", ["dm.sas7bdat", "dm.xpt"])
def test_corrupt_sas_files_are_problems(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"HEADER RECORD but nothing else" * 4)
    with pytest.raises(ProblemsError, match="cannot read as") as excinfo:
        read_form(path)
    assert problems_of(excinfo)[0].file == str(path)


def test_xpt_in_another_encoding_needs_it_named(tmp_path):
    path = tmp_path / "sites.xpt"
    pyreadstat.write_xport(
        pd.DataFrame({"SITE": ["ClinXca"]}), str(path), table_name="X"
    )
    path.write_bytes(
        path.read_bytes().replace(b"ClinXca", b"Clin\xe9ca")
    )  # latin-1 "é"

    with pytest.raises(ProblemsError, match="text encoding"):
        read_form(path)
    assert read_form(path, encoding="latin1").frame["SITE"].tolist() == ["Clinéca"]


def test_xpt_times_and_other_date_formats_as_text(tmp_path):
    path = tmp_path / "vs.xpt"
    source = pd.DataFrame({
        "VSDT": [23440.0, np.nan],  # YYMMDD10. shows a date
        "VSTM": [52200.0, 86399.4],  # TIME8. shows a time of day: 14:30:00, 23:59:59
        "VSDTM": [2025268200.5, -1.0],  # E8601DT19.: half a second rounds up; before 1960 too
    })
    pyreadstat.write_xport(source, str(path), table_name="VS", file_format_version=5,
                           variable_format={"VSDT": "YYMMDD10.", "VSTM": "TIME8.", "VSDTM": "E8601DT19."})
    assert read_form(path).frame.to_dict("list") == {
        "VSDT": ["2024-03-05", ""],
        "VSTM": ["14:30:00", "23:59:59"],
        "VSDTM": ["2024-03-05T14:30:01", "1959-12-31T23:59:59"],
    }


def test_damaged_xpt_says_where(tmp_path):
    path = tmp_path / "dm.xpt"
    pyreadstat.write_xport(pd.DataFrame({"SUBJID": ["001"]}), str(path), table_name="DM", file_format_version=5)
    path.write_bytes(path.read_bytes()[:700])
    with pytest.raises(ProblemsError, match="cannot read as SAS transport .*NAMESTR records end early"):
        read_form(path)


PLAIN_FIELD = st.text(alphabet=st.sampled_from("ab 1.-"), max_size=5)
CSV_FIELD = st.one_of(
    PLAIN_FIELD, PLAIN_FIELD, PLAIN_FIELD, PLAIN_FIELD, PLAIN_FIELD, PLAIN_FIELD,
    st.sampled_from(["", "NA", "001", "2.50", '"quoted, with comma"', '"say ""hi"""', '"two\nlines"', '"ab"c',
                     'a"b', "x\ry", '"Café, au lait"', "naïve"]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), width=st.integers(min_value=1, max_value=4), newline=st.sampled_from(["\n", "\r\n"]),
       end=st.sampled_from(["", "\n", "\n", "\n\n"]))
def test_csv_fast_path_reads_exactly_what_the_csv_module_reads(tmp_path, monkeypatch, data, width, newline, end):
    # Mostly well-formed files (which take pandas' parser), some with a ragged row or odd quoting (the csv module)
    header = data.draw(st.lists(st.text(alphabet="ABC", min_size=1, max_size=3), min_size=width, max_size=width))
    records = [header] + data.draw(st.lists(st.lists(CSV_FIELD, min_size=width, max_size=width), max_size=5))
    if data.draw(st.integers(min_value=0, max_value=5)) == 0:
        records.append(data.draw(st.lists(CSV_FIELD, min_size=1, max_size=5)))
    path = tmp_path / "form.csv"
    path.write_bytes((newline.join(",".join(r) for r in records) + end).encode("utf-8"))

    def outcome():
        try:
            return read_form(path).frame.to_dict("list")
        except ProblemsError as error:
            return [str(p) for p in error.problems]

    fast = outcome()
    with monkeypatch.context() as patched:
        patched.setattr(readers, "_read_plain_csv", lambda data, codec: None)
        strict = outcome()
    assert fast == strict

"""Property-based tests of the raw readers (io.readers.read_form): random bytes, truncated
files, wrong encodings and every CSV quoting come back as the exact text of each cell, or
are refused with a ProblemsError naming the file; nothing else escapes, nothing is guessed.

The oracle of the CSV cases is Python's csv module: tables it writes (minimal or full
quoting, CRLF or LF, quotes, commas and line breaks inside cells) must be read back cell
for cell, leading zeros, "NA" and blanks included.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cdisc_map.core.problems import ProblemsError
from cdisc_map.io.readers import read_form

EXAMPLES = int(os.environ.get("CDISC_MAP_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])
RAW = Path(__file__).resolve().parent.parent / "cdisc_map" / "studies" / "nct06111625" / "raw"

#: Cell text: anything but NUL (which CSV cannot carry), lone surrogates and a byte-order mark.
cell = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00\ufeff"), max_size=12)
edc_cell = st.one_of(cell, st.sampled_from(["001", "NA", "", " ", "2.50", "N/A", "-", '"', ",", "a\nb", "a\r\nb"]))


@st.composite
def tables(draw) -> tuple[list[str], list[list[str]]]:
    width = draw(st.integers(1, 5))
    header = draw(st.lists(cell.filter(lambda name: name.strip() != ""), min_size=width, max_size=width,
                           unique=True))
    rows = draw(st.lists(st.lists(edc_cell, min_size=width, max_size=width), max_size=8))
    return header, rows


def unambiguous(header: list[str], rows: list[list[str]], quoting: int, newline: str) -> bool:
    """False where the csv module writes a bare CR unquoted (minimal quoting, LF line ends): a line break to
    any reader, so such a table cannot be read back as it was."""
    return quoting == csv.QUOTE_ALL or newline == "\r\n" or not any("\r" in c for c in [*header, *sum(rows, [])])


def write_csv(header: list[str], rows: list[list[str]], quoting: int, newline: str) -> str:
    text = io.StringIO(newline="")
    writer = csv.writer(text, quoting=quoting, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue()


def read(data: bytes, suffix: str = ".csv", **options):
    """read_form on `data` saved as a file: the RawForm, or the ProblemsError it raised."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"form{suffix}"
        path.write_bytes(data)
        try:
            return read_form(path, **options)
        except ProblemsError as refused:
            assert refused.problems and all(p.file == str(path) for p in refused.problems), refused.problems
            assert all(p.message for p in refused.problems)
            return refused


def cells(form) -> list[list[str]]:
    frame = form.frame
    assert all(type(value) is str for column in frame.columns for value in frame[column]), "a cell is not text"
    return frame.astype(object).values.tolist()


@FUZZ
@given(table=tables(), quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]), newline=st.sampled_from(
    ["\r\n", "\n"]), bom=st.booleans())
def test_any_table_the_csv_module_writes_is_read_back_cell_for_cell(table, quoting, newline, bom):
    header, rows = table
    assume(unambiguous(header, rows, quoting, newline))
    text = write_csv(header, rows, quoting, newline)
    form = read(text.encode("utf-8-sig" if bom else "utf-8"))
    assert not isinstance(form, ProblemsError), form.problems
    assert list(form.frame.columns) == header
    assert cells(form) == rows


@FUZZ
@given(table=tables(), encoding=st.sampled_from(["cp1252", "latin-1", "gb18030", "utf-16"]))
def test_a_wrong_encoding_is_refused_or_read_as_the_bytes_say_and_the_right_one_reads_exactly(table, encoding):
    header, rows = table
    text = write_csv(header, rows, csv.QUOTE_ALL, "\n")
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        assume(False)
    as_utf8 = read(data)
    if not isinstance(as_utf8, ProblemsError):  # the bytes happen to be UTF-8 too (ASCII, mostly)
        decoded = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        assert [list(form) for form in [as_utf8.frame.columns]] == [decoded[0]]
        assert cells(as_utf8) == decoded[1:]
    else:
        assert any("utf-8" in p.message or "parse" in p.message or "column" in p.message
                   for p in as_utf8.problems), as_utf8.problems
    right = read(data, encoding=encoding)
    assert not isinstance(right, ProblemsError), right.problems
    assert list(right.frame.columns) == header and cells(right) == rows


@FUZZ
@given(data=st.binary(max_size=2048), suffix=st.sampled_from([".csv", ".xlsx", ".sas7bdat", ".xpt"]))
def test_random_bytes_are_a_frame_of_text_or_a_problem_naming_the_file(data, suffix):
    form = read(data, suffix)
    if not isinstance(form, ProblemsError):
        cells(form)


def truncation(name: str):
    original = (RAW / name).read_bytes()
    return st.integers(0, len(original)).map(lambda cut: (original, original[:cut]))


@FUZZ
@given(case=truncation("ae.csv"))
def test_a_truncated_csv_is_refused_or_its_rows_are_the_original_s_first_rows(case):
    original, truncated = case
    whole = read(original)
    form = read(truncated)
    if isinstance(form, ProblemsError):
        return
    if b"\n" not in truncated:  # cut inside the header: a file of column names alone
        assert len(form.frame) == 0 and truncated.decode().startswith(",".join(form.frame.columns))
        return
    assert list(form.frame.columns) == list(whole.frame.columns)
    got, full = cells(form), cells(whole)
    assert len(got) <= len(full)
    if got:  # whole records as they were; the cut may fall in the last cell: that cell is a prefix of its own
        assert got[:-1] == full[: len(got) - 1]
        last, source = got[-1], full[len(got) - 1]
        assert last[:-1] == source[:-1] and source[-1].startswith(last[-1]), (last, source)


@FUZZ
@given(case=truncation("blinatumomab.xlsx"))
def test_a_truncated_workbook_is_refused_unless_it_is_whole(case):
    original, truncated = case
    form = read(truncated, ".xlsx")
    if len(truncated) < len(original):
        assert isinstance(form, ProblemsError), "a truncated workbook was read"
    else:
        assert not isinstance(form, ProblemsError)

"""The XPT v5 rules a frame must keep before it is written, all reported at once.

Names of at most 8 characters (A-Z, 0-9, _; a letter first), labels of at most 40 ASCII
characters, text values ASCII and at most 200 bytes, numbers finite and inside the IBM
double range, only numbers and text, formats and informats of the v5 kind. Nothing is
truncated or mangled to make a frame fit: every breach is a `Problem` naming the dataset,
column and row (the observation number, 1-based), and the writer then writes nothing.

Text columns are checked per distinct value (a domain's text repeats heavily), and the
distinct values, with each row's code, are what the writer encodes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdisc_map.core.problems import Problem

MAX_NAME_LENGTH = 8
MAX_LABEL_LENGTH = 40
MAX_VALUE_BYTES = 200
MAX_PROBLEMS_PER_COLUMN = 10
LARGEST_IBM_MAGNITUDE = 2.0**252  # 16**63: an IBM double is smaller

_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,7}")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# $CHAR20.  DATE9.  8.2  E8601DT19.  BEST12.  (name <= 8 characters, then width.decimals)
_FORMAT = re.compile(r"(\$?)([A-Z_](?:[A-Z0-9_]*[A-Z_])?)?(\d*)\.(\d*)", re.IGNORECASE)


@dataclass(frozen=True)
class SasFormat:
    """A format or informat split as NAMESTR holds it: name, width, decimals."""

    name: str
    width: int
    decimals: int


@dataclass
class CheckedColumn:
    """One column as the writer encodes it: numbers, or text as codes into distinct values."""

    name: str
    is_text: bool
    values: np.ndarray | None = None  # float64, numeric columns
    codes: np.ndarray | None = None  # per row, index into `distinct` (-1: missing, written blank)
    distinct: list[str] | None = None
    length: int = 8  # bytes: 8 for numbers, the longest value (at least 1) for text


def parse_format(text: str) -> SasFormat:
    """ "DATE9." -> SasFormat("DATE", 9, 0); "$char20." -> ("$CHAR", 20, 0); "8.2" -> ("", 8, 2)."""
    match = _FORMAT.fullmatch(text)
    if match is None:
        raise ValueError(f"not a SAS format: {text!r}")
    return SasFormat(
        ((match.group(1) or "") + (match.group(2) or "")).upper(),
        int(match.group(3) or 0),
        int(match.group(4) or 0),
    )


def check_frame(
    frame: pd.DataFrame,
    dataset: str,
    label: str,
    column_labels: dict[str, str],
    formats: dict[str, str],
    informats: dict[str, str],
    require_labels: bool = True,
) -> tuple[list[Problem], list[CheckedColumn]]:
    """Every v5 rule the frame breaks, and its columns ready to encode (when it breaks none).

    With `require_labels` False, a blank dataset or column label is allowed (a file
    converted from another keeps the blank labels it came with)."""
    problems: list[Problem] = []

    def problem(message: str, **where) -> None:
        problems.append(Problem(message, dataset=dataset, **where))

    problems += name_problems(dataset, "dataset name", dataset=dataset)
    if not label and require_labels:
        problem("the dataset has no label", hint="Give the dataset label from the standard")
    problems += label_problems(label, "dataset label", dataset=dataset)

    names = list(frame.columns)
    if not names:
        problem("the dataset has no columns")
    for name in sorted({n for n in names if names.count(n) > 1}, key=str):
        problem("column name appears more than once", column=str(name))

    columns: list[CheckedColumn] = []
    for position, name in enumerate(names):
        if not isinstance(name, str):
            problem(f"column name {name!r} is not text", column=str(name))
            continue
        problems += name_problems(name, "variable name", dataset=dataset, column=name)
        column_label = column_labels.get(name)
        if not column_label and require_labels:
            problem("the column has no label", column=name, hint="Add it to column_labels")
        elif column_label:
            problems += label_problems(column_label, "variable label", dataset=dataset, column=name)
        column, found = check_column(frame.iloc[:, position], name, dataset)
        problems += found
        if column is not None:
            columns.append(column)
            for what, given in (("format", formats), ("informat", informats)):
                if name in given:
                    problems += format_problems(given[name], column.is_text, dataset, name, what)

    for what, given in (("format", formats), ("informat", informats)):
        for name in given:
            if name not in names:
                problem(f"a{'n' if what == 'informat' else ''} {what} is given for a column the dataset does not have",
                        column=str(name))
    return problems, columns


def declared_length_problems(columns: list[CheckedColumn], lengths: dict[str, int],
                             dataset: str) -> list[Problem]:
    """Give text columns the lengths `lengths` declares, where each value fits; the faults otherwise.

    The writer sizes a text column by its longest value; a file converted from another
    keeps its declared lengths (SAS pads every value with blanks to the length, readers
    strip them), and a declared length shorter than a value is refused, never a cut.
    """
    problems = []
    by_name = {column.name: column for column in columns if column.is_text}
    for name, declared in lengths.items():
        column = by_name.get(name)
        if column is None:
            continue
        if not isinstance(declared, int) or isinstance(declared, bool) or not 1 <= declared <= MAX_VALUE_BYTES:
            problems.append(Problem(f"declared length {declared!r} is outside 1 to {MAX_VALUE_BYTES}",
                                    dataset=dataset, column=name))
            continue
        sizes = [len(value.encode("utf-8")) for value in column.distinct]
        longest = max(sizes, default=0)
        if longest > declared:
            row = int(np.flatnonzero(column.codes == sizes.index(longest))[0]) + 1
            problems.append(Problem(
                f"a value is {longest} bytes long but the column's declared length is {declared}",
                dataset=dataset, column=name, row=row, value=column.distinct[sizes.index(longest)][:60],
                hint="Declare the length of the longest value, or leave the length out"))
            continue
        column.length = declared
    return problems


def padding_problems(columns: list[CheckedColumn], rows: int, dataset: str) -> list[Problem]:
    """Blank observations at the end that a reader would take for the last record's padding.

    SAS pads the observations to whole 80-byte records with blanks, and counts observations
    from the file's length; so when an observation is shorter than 80 bytes and every value
    of the last ones is blank text, they cannot be told from padding and are lost on reading.
    """
    row_length = sum(column.length for column in columns)
    if not rows or not columns or row_length >= 80 or not all(column.is_text for column in columns):
        return []
    blank = np.ones(rows, dtype=bool)
    for column in columns:
        empty = np.array([value == "" for value in column.distinct] + [True], dtype=bool)
        blank &= empty[column.codes]
    trailing = rows - (int(np.flatnonzero(~blank)[-1]) + 1 if (~blank).any() else 0)
    length = -(-rows * row_length // 80) * 80
    fewest = (length - 80) // row_length + 1
    lost = min(trailing, rows - fewest)
    if lost <= 0:
        return []
    return [
        Problem(
            f"the last {lost} observation(s) are blank in every variable: in a file whose observations are "
            f"{row_length} bytes long (under 80), readers take them for padding and drop them",
            dataset=dataset,
            row=rows - lost + 1,
            hint="Drop the blank observations (they hold no data)",
        )
    ]


def name_problems(name: str, what: str, **where) -> list[Problem]:
    if isinstance(name, str) and _NAME.fullmatch(name):
        return []
    return [
        Problem(
            f"{what} {name!r} breaks the XPT v5 naming rule",
            hint=(
                f"Use at most {MAX_NAME_LENGTH} characters: upper-case letters A-Z, digits and "
                "underscores, starting with a letter"
            ),
            **where,
        )
    ]


def label_problems(label: str, what: str, **where) -> list[Problem]:
    found = []
    if len(label) > MAX_LABEL_LENGTH:
        found.append(
            Problem(
                f"{what} is {len(label)} characters long, over the XPT v5 limit of {MAX_LABEL_LENGTH}",
                value=label,
                **where,
            )
        )
    bad = _NON_ASCII.search(label)
    if bad:
        found.append(
            Problem(
                f"{what} has a non-ASCII character {describe_character(bad.group())} at position {bad.start() + 1}",
                value=label,
                **where,
            )
        )
    return found


def format_problems(fmt: str, is_text: bool, dataset: str, column: str, what: str = "format") -> list[Problem]:
    match = _FORMAT.fullmatch(fmt) if isinstance(fmt, str) else None
    if match is None or len((match.group(1) or "") + (match.group(2) or "")) > MAX_NAME_LENGTH:
        return [
            Problem(
                f"not a SAS {what} of the XPT v5 kind",
                dataset=dataset,
                column=column,
                value=str(fmt),
                hint="Write it like DATE9., 8.2 or $CHAR20. (name of at most 8 characters)",
            )
        ]
    if (match.group(1) == "$") != is_text:
        kind = "text" if is_text else "numeric"
        wanted = f"a character ($) {what}" if is_text else f"a numeric {what} (no $)"
        return [Problem(f"the column is {kind}, so it needs {wanted}", dataset=dataset, column=column, value=fmt)]
    return []


def check_column(series: pd.Series, name: str, dataset: str) -> tuple[CheckedColumn | None, list[Problem]]:
    """The column as the writer takes it (float64, or text codes) and the rules it breaks."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return None, [
            Problem(
                "the column is boolean; XPT has only numbers and text",
                dataset=dataset,
                column=name,
                hint="Write it as 'Y'/'N' text or 1/0 numbers",
            )
        ]
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        return CheckedColumn(name, is_text=False, values=values), _number_problems(values, name, dataset)
    if isinstance(dtype, pd.StringDtype) or dtype == object:  # noqa: E721 (a numpy dtype, not a type)
        return _text_column(series, name, dataset)
    return None, [
        Problem(
            f"the column has type {dtype}; XPT has only numbers and text",
            dataset=dataset,
            column=name,
            hint="Write dates as ISO 8601 text (SDTM) or as SAS day numbers with a format (ADaM)",
        )
    ]


def _number_problems(values: np.ndarray, name: str, dataset: str) -> list[Problem]:
    with np.errstate(invalid="ignore"):
        out_of_range = np.flatnonzero(np.abs(values) >= LARGEST_IBM_MAGNITUDE)
    problems = [
        Problem(
            "infinite number; XPT cannot store it" if np.isinf(values[i]) else
            "number too large for XPT: an IBM double holds magnitudes under 16**63 (about 7.2e75)",
            dataset=dataset,
            column=name,
            row=int(i) + 1,
            value=str(values[i]),
        )
        for i in out_of_range[:MAX_PROBLEMS_PER_COLUMN]
    ]
    return problems + _more(len(out_of_range), dataset, name)


def _text_column(series: pd.Series, name: str, dataset: str) -> tuple[CheckedColumn | None, list[Problem]]:
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    distinct = list(np.asarray(uniques, dtype=object))
    not_text = [i for i, value in enumerate(distinct) if not isinstance(value, str)]
    if not_text:
        rows = _rows_with(codes, not_text, len(distinct))
        raw = series.to_numpy(dtype=object)
        problems = [
            Problem(
                f"a {type(raw[i]).__name__} value in a text column",
                dataset=dataset,
                column=name,
                row=int(i) + 1,
                value=str(raw[i]),
                hint="Make every value of the column text (or every value a number)",
            )
            for i in rows[:MAX_PROBLEMS_PER_COLUMN]
        ]
        return None, problems + _more(len(rows), dataset, name)

    problems: list[Problem] = []
    if "".join(distinct).isascii():  # the usual case, checked in one pass
        non_ascii: list[int] = []
        byte_lengths = np.fromiter(map(len, distinct), dtype=np.int64, count=len(distinct))
    else:
        non_ascii = [i for i, value in enumerate(distinct) if not value.isascii()]
        byte_lengths = np.array([len(value.encode("utf-8")) for value in distinct], dtype=np.int64)
    def non_ascii_message(value: str, _: int) -> str:
        bad = _NON_ASCII.search(value)
        return f"non-ASCII character {describe_character(bad.group())} at position {bad.start() + 1}"

    def too_long_message(_: str, code: int) -> str:
        return f"value is {byte_lengths[code]} bytes long, over the XPT v5 limit of {MAX_VALUE_BYTES}"

    for chosen, message, hint in (
        (non_ascii, non_ascii_message, "Transliterate it with an explicit spec rule, or correct the raw data"),
        (np.flatnonzero(byte_lengths > MAX_VALUE_BYTES), too_long_message,
         "Shorten it, or split it over more variables as SDTMIG describes for text over 200 characters"),
    ):
        rows = _rows_with(codes, chosen, len(distinct))
        problems += [
            Problem(message(distinct[codes[i]], codes[i]), dataset=dataset, column=name, row=int(i) + 1,
                    value=_shorten(distinct[codes[i]]), hint=hint)
            for i in rows[:MAX_PROBLEMS_PER_COLUMN]
        ]
        problems += _more(len(rows), dataset, name)
    length = max(int(byte_lengths.max(initial=0)), 1)
    return CheckedColumn(name, is_text=True, codes=codes, distinct=distinct, length=length), problems


def _rows_with(codes: np.ndarray, chosen, count: int) -> np.ndarray:
    """Rows whose code is one of `chosen` (in row order)."""
    if len(chosen) == 0:
        return np.zeros(0, dtype=np.intp)
    marked = np.zeros(count + 1, dtype=bool)  # the extra slot is code -1 (missing)
    marked[np.asarray(chosen, dtype=np.intp)] = True
    return np.flatnonzero(marked[codes])


def _more(count: int, dataset: str, column: str) -> list[Problem]:
    if count <= MAX_PROBLEMS_PER_COLUMN:
        return []
    return [
        Problem(
            f"... and {count - MAX_PROBLEMS_PER_COLUMN} more rows with the same problem",
            dataset=dataset,
            column=column,
        )
    ]


def describe_character(char: str) -> str:
    return f"{char!r} (U+{ord(char):04X})"


def _shorten(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[:limit] + "..."

"""Write and read SAS transport (XPORT) version 5 files, the format FDA takes.

`write_xpt` checks a frame against the v5 rules first and reports every breach at
once (so nothing is silently truncated or mangled by the writer), then writes with
pyreadstat to a temporary file, pins the header timestamps (pyreadstat stamps the wall
clock) and renames it onto the target, so a target is never half-written and two runs
with SOURCE_DATE_EPOCH set give byte-identical files.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import repeat
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

from cdisc_map.core.problems import Problem, ProblemsError

MAX_NAME_LENGTH = 8
MAX_LABEL_LENGTH = 40
MAX_VALUE_BYTES = 200
MAX_PROBLEMS_PER_COLUMN = 10
# IBM hexadecimal floats reach 16**-65 (about 5.4e-79) at the small end; at the large end
# pyreadstat (ReadStat) writes 2 * 16**62 (about 9.0e74) and more as infinity, although the
# format itself goes to about 7.2e75. Numbers outside are refused, not changed.
SMALLEST_NUMBER = 16.0**-65
LARGEST_NUMBER = 2.0 * 16.0**62

_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,7}")
_NON_ASCII = r"[^\x00-\x7f]"
# $CHAR20.  DATE9.  8.2  E8601DT19.  BEST12.  (name <= 8 characters, then width.decimals)
_FORMAT = re.compile(r"(\$?)([A-Z_](?:[A-Z0-9_]*[A-Z_])?)?(\d*)\.(\d*)", re.IGNORECASE)

_MONTHS = (
    "JAN",
    "FEB",
    "MAR",
    "APR",
    "MAY",
    "JUN",
    "JUL",
    "AUG",
    "SEP",
    "OCT",
    "NOV",
    "DEC",
)
_STAMP = re.compile(
    rb"\d\d(?:" + b"|".join(m.encode() for m in _MONTHS) + rb")\d\d:\d\d:\d\d:\d\d"
)
_STAMP_LENGTH = 16
# The v5 header is a run of 80-byte records: library header (0), its first real
# record with the created stamp (80, stamp at +64), the modified stamp (160), member
# header (240), descriptor header (320), member record with created (400, stamp at
# +64) and modified (480) stamps.
_V5_HEADER_RECORDS = {
    0: b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!",
    240: b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!",
    320: b"HEADER RECORD*******DSCRPTR HEADER RECORD!!!!!!!",
}
_V8_LIBRARY_HEADER = b"HEADER RECORD*******LIBV8   HEADER RECORD!!!!!!!"
_V5_STAMP_OFFSETS = (144, 160, 464, 480)
_V5_HEADER_LENGTH = 560
_RECORD_LENGTH = 80  # every XPT file is a run of 80-byte records, the last one padded


@dataclass(frozen=True)
class XptMeta:
    """What an XPT file says about itself, as a reader sees it."""

    dataset: str
    label: str
    version: int
    created: str  # the library header's 16-byte stamp, e.g. "05MAR24:14:30:00"
    column_labels: dict[str, str]
    column_types: dict[str, str]  # "text" or "numeric"
    character_lengths: dict[str, int]  # bytes, text columns only
    formats: dict[str, str]  # e.g. {"TRTSDT": "DATE9."}; columns without one are absent


def build_timestamp() -> datetime:
    """The creation time to stamp on outputs: SOURCE_DATE_EPOCH (UTC) when set, else now.

    Reproducible-builds convention: with the variable set, every run gives the same
    bytes. Truncated to whole seconds, as XPT and Define-XML stamps carry no fraction.
    """
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None:
        return datetime.now(UTC).replace(microsecond=0)
    text = raw.strip()
    if not text.isascii() or not text.isdigit():
        raise ProblemsError(
            [
                Problem(
                    "SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01 UTC",
                    value=raw,
                    hint="Set it to, for example, the last commit's time: git log -1 --format=%ct",
                )
            ]
        )
    try:
        return datetime.fromtimestamp(int(text), UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ProblemsError(
            [Problem("SOURCE_DATE_EPOCH is out of the range of dates", value=raw)]
        ) from exc


def sas_header_timestamp(moment: datetime) -> str:
    """`moment` as the 16 characters an XPT header holds: ddMMMyy:hh:mm:ss.

    An aware datetime is converted to UTC first; a naive one is taken as written.
    """
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return (
        f"{moment.day:02d}{_MONTHS[moment.month - 1]}{moment.year % 100:02d}:"
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    )


def write_xpt(
    frame: pd.DataFrame,
    path: Path,
    *,
    dataset: str,
    label: str,
    column_labels: dict[str, str],
    formats: dict[str, str] | None = None,
    created: datetime | None = None,
) -> None:
    """Write `frame` as one SAS transport v5 dataset at `path`, atomically.

    Columns are numeric (written as 8-byte floats) or text (str, missing as blank);
    each text column's length is its longest value in bytes. `column_labels` must
    label every column; labels for columns not in the frame are ignored, so a domain's
    whole label table may be passed. `formats` maps column names to SAS display
    formats such as "DATE9.". `created` (default `build_timestamp()`) is stamped in
    the header. Raises ProblemsError listing every rule broken (names, labels, ASCII,
    200-byte values, types; a problem's row is the observation number, the 1-based
    position in `frame`); an existing file at `path` is then left as it was.
    """
    path = Path(path)
    formats = dict(formats or {})
    problems, prepared = _check_and_prepare(
        frame, dataset, label, column_labels, formats
    )
    if not path.parent.is_dir():
        problems.append(
            Problem(
                "the output folder does not exist",
                file=str(path.parent),
                dataset=dataset,
            )
        )
    if problems:
        raise ProblemsError(problems)
    stamp = sas_header_timestamp(created if created is not None else build_timestamp())

    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        try:
            pyreadstat.write_xport(prepared, str(temporary), file_format_version=5,  # submissions need v5
                                   file_label=label,
                                   column_labels=[column_labels[c] for c in prepared.columns],
                                   table_name=dataset,
                                   variable_format={c: f.upper() for c, f in formats.items()} or None)
            _pin_timestamps(temporary, stamp)
            os.replace(temporary, path)
        except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, OSError) as exc:
            raise ProblemsError(
                [
                    Problem(
                        f"could not write the XPT file: {exc}",
                        file=str(path),
                        dataset=dataset,
                    )
                ]
            ) from exc
    finally:
        temporary.unlink(missing_ok=True)
    _fsync_folder(path.parent)


def read_xpt(path: Path) -> tuple[pd.DataFrame, XptMeta]:
    """Read an XPT file (v5 or v8) with its metadata, for checks and validation.

    Values come back as stored: text as str ("" for blank), numerics as float64 (SAS
    dates stay day counts; their format is in `XptMeta.formats`).
    Note: pandas.read_sas(format="xport") can drop the last row(s) of a file whose
    records are shorter than 80 bytes, when blank text lies in the final 80-byte block
    (it counts every blank 8-byte run there as padding); pyreadstat, used here, does not.
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(_V5_HEADER_LENGTH)
        size = path.stat().st_size
        if size % _RECORD_LENGTH:
            raise ProblemsError([Problem(
                f"the file is {size:,} bytes, not a whole number of {_RECORD_LENGTH}-byte records: it is truncated "
                "or damaged", file=str(path), hint="copy or write the file again; XPT files pad their last record")])
        frame, meta = pyreadstat.read_xport(str(path), disable_datetime_conversion=True)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, OSError, UnicodeError) as exc:
        # UnicodeError: names or labels in bytes that are no UTF-8 (damaged, or written in another encoding)
        raise ProblemsError(
            [Problem(f"cannot read as SAS transport (XPT): {exc}", file=str(path))]
        ) from exc
    version = _header_version(path, head)
    types = {
        name: "text" if kind == "string" else "numeric"
        for name, kind in meta.readstat_variable_types.items()
    }
    return frame, XptMeta(
        dataset=meta.table_name or "",
        label=meta.file_label or "",
        version=version,
        created=head[144:160].decode("ascii", "replace"),
        column_labels={n: lab or "" for n, lab in meta.column_names_to_labels.items()},
        column_types=types,
        character_lengths={
            n: w for n, w in meta.variable_storage_width.items() if types[n] == "text"
        },
        formats={
            n: f if "." in f else f + "."
            for n, f in meta.original_variable_types.items()
            if f
        },
    )


# --- checks --------------------------------------------------------------------------


def _check_and_prepare(
    frame: pd.DataFrame,
    dataset: str,
    label: str,
    column_labels: dict[str, str],
    formats: dict[str, str],
) -> tuple[list[Problem], pd.DataFrame]:
    problems: list[Problem] = []

    def problem(message: str, **where) -> None:
        problems.append(Problem(message, dataset=dataset, **where))

    problems += _name_problems(dataset, "dataset name", dataset=dataset)
    if not label:
        problem(
            "the dataset has no label", hint="Give the dataset label from the standard"
        )
    problems += _label_problems(label, "dataset label", dataset=dataset)

    names = list(frame.columns)
    if not names:
        problem("the dataset has no columns")
    for name in sorted({n for n in names if names.count(n) > 1}, key=str):
        problem("column name appears more than once", column=str(name))

    columns: dict[str, np.ndarray] = {}
    kinds: list[str] = []
    for position, name in enumerate(names):
        if not isinstance(name, str):
            problem(f"column name {name!r} is not text", column=str(name))
            continue
        problems += _name_problems(name, "variable name", dataset=dataset, column=name)
        column_label = column_labels.get(name)
        if not column_label:
            problem(
                "the column has no label", column=name, hint="Add it to column_labels"
            )
        else:
            problems += _label_problems(
                column_label, "variable label", dataset=dataset, column=name
            )
        values, kind, found = _column_values(frame.iloc[:, position], name, dataset)
        problems += found
        if values is not None:
            columns[name] = values
            kinds.append(kind)
            if name in formats:
                problems += _format_problems(formats[name], kind, dataset, name)
    if len(frame) and columns and set(kinds) == {"text"} and all(v[-1] == "" for v in columns.values()):
        problem("the last observation is blank in every variable: readers of SAS transport take trailing "
                "blank observations for the padding of the last record and drop them", row=len(frame),
                hint="Drop the empty observation, or give it a value (a key variable is never blank)")

    for name in formats:
        if name not in names:
            problem(
                "a format is given for a column the dataset does not have",
                column=str(name),
            )
    prepared = (
        pd.DataFrame(columns, index=pd.RangeIndex(len(frame)))
        if not problems
        else frame
    )
    return problems, prepared


def _name_problems(name: str, what: str, **where) -> list[Problem]:
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


def _label_problems(label: str, what: str, **where) -> list[Problem]:
    found = []
    if len(label) > MAX_LABEL_LENGTH:
        found.append(
            Problem(
                f"{what} is {len(label)} characters long, over the XPT v5 limit of "
                f"{MAX_LABEL_LENGTH}",
                value=label,
                **where,
            )
        )
    bad = re.search(_NON_ASCII, label)
    if bad:
        found.append(
            Problem(
                f"{what} has a non-ASCII character {_describe_character(bad.group())} at "
                f"position {bad.start() + 1}",
                value=label,
                **where,
            )
        )
    return found


def _format_problems(fmt: str, kind: str, dataset: str, column: str) -> list[Problem]:
    match = _FORMAT.fullmatch(fmt) if isinstance(fmt, str) else None
    if (
        match is None
        or len((match.group(1) or "") + (match.group(2) or "")) > MAX_NAME_LENGTH
    ):
        return [
            Problem(
                "not a SAS format of the XPT v5 kind",
                dataset=dataset,
                column=column,
                value=str(fmt),
                hint="Write it like DATE9., 8.2 or $CHAR20. (name of at most 8 characters)",
            )
        ]
    if (match.group(1) == "$") != (kind == "text"):
        wanted = (
            "a character ($) format" if kind == "text" else "a numeric format (no $)"
        )
        return [
            Problem(
                f"the column is {kind}, so it needs {wanted}",
                dataset=dataset,
                column=column,
                value=fmt,
            )
        ]
    return []


def _column_values(
    series: pd.Series, name: str, dataset: str
) -> tuple[np.ndarray | None, str, list[Problem]]:
    """The column as pyreadstat should get it (float64 or str with "" for missing)."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return (
            None,
            "",
            [
                Problem(
                    "the column is boolean; XPT has only numbers and text",
                    dataset=dataset,
                    column=name,
                    hint="Write it as 'Y'/'N' text or 1/0 numbers",
                )
            ],
        )
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(
        dtype
    ):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        infinite = np.flatnonzero(np.isinf(values))
        problems = [
            Problem(
                "infinite number; XPT cannot store it",
                dataset=dataset,
                column=name,
                row=int(i) + 1,
                value=str(values[i]),
            )
            for i in infinite[:MAX_PROBLEMS_PER_COLUMN]
        ]
        problems += _more(len(infinite), dataset, name)
        magnitude = np.abs(values)
        with np.errstate(invalid="ignore"):
            outside = np.flatnonzero(np.isfinite(values) & (
                (magnitude >= LARGEST_NUMBER) | ((magnitude > 0) & (magnitude < SMALLEST_NUMBER))))
        problems += [
            Problem(
                "number outside the range of SAS transport numbers "
                f"({SMALLEST_NUMBER:.4g} to {LARGEST_NUMBER:.4g}); it would be written as "
                f"{'infinity' if magnitude[i] >= LARGEST_NUMBER else 'zero'}",
                dataset=dataset,
                column=name,
                row=int(i) + 1,
                value=repr(float(values[i])),
                hint="Check the value; store it scaled, or as text",
            )
            for i in outside[:MAX_PROBLEMS_PER_COLUMN]
        ]
        problems += _more(len(outside), dataset, name)
        return values, "numeric", problems
    if isinstance(dtype, pd.StringDtype) or dtype == object:  # noqa: E721 (a numpy dtype, not a type)
        return _text_values(series, name, dataset)
    return (
        None,
        "",
        [
            Problem(
                f"the column has type {dtype}; XPT has only numbers and text",
                dataset=dataset,
                column=name,
                hint="Write dates as ISO 8601 text (SDTM) or as SAS day numbers with a format (ADaM)",
            )
        ],
    )


def _text_values(
    series: pd.Series, name: str, dataset: str
) -> tuple[np.ndarray | None, str, list[Problem]]:
    missing = series.isna().to_numpy()
    raw = series.to_numpy(dtype=object)
    is_text = np.fromiter(map(isinstance, raw, repeat(str)), dtype=bool, count=len(raw))
    not_text = np.flatnonzero(~is_text & ~missing)
    if len(not_text):
        problems = [
            Problem(
                f"a {type(raw[i]).__name__} value in a text column",
                dataset=dataset,
                column=name,
                row=int(i) + 1,
                value=str(raw[i]),
                hint="Make every value of the column text (or every value a number)",
            )
            for i in not_text[:MAX_PROBLEMS_PER_COLUMN]
        ]
        return None, "text", problems + _more(len(not_text), dataset, name)
    values = raw.copy()
    values[missing] = ""
    problems: list[Problem] = []
    if "".join(values).isascii():  # the usual case, checked in one pass
        non_ascii = np.array([], dtype=np.intp)
    else:
        non_ascii = np.flatnonzero([not value.isascii() for value in values])
    for i in non_ascii[:MAX_PROBLEMS_PER_COLUMN]:
        value = values[i]
        bad = re.search(_NON_ASCII, value)
        problems.append(
            Problem(
                f"non-ASCII character {_describe_character(bad.group())} at position "
                f"{bad.start() + 1}",
                dataset=dataset,
                column=name,
                row=int(i) + 1,
                value=_shorten(value),
                hint="Transliterate it with an explicit spec rule, or correct the raw data",
            )
        )
    problems += _more(len(non_ascii), dataset, name)
    byte_lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    if len(non_ascii):
        byte_lengths[non_ascii] = [len(values[i].encode("utf-8")) for i in non_ascii]
    too_long = np.flatnonzero(byte_lengths > MAX_VALUE_BYTES)
    for i in too_long[:MAX_PROBLEMS_PER_COLUMN]:
        problems.append(
            Problem(
                f"value is {byte_lengths[i]} bytes long, over the XPT v5 limit of "
                f"{MAX_VALUE_BYTES}",
                dataset=dataset,
                column=name,
                row=int(i) + 1,
                value=_shorten(values[i]),
                hint=(
                    "Shorten it, or split it over more variables as SDTMIG describes "
                    "for text over 200 characters"
                ),
            )
        )
    problems += _more(len(too_long), dataset, name)
    return values, "text", problems


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


def _describe_character(char: str) -> str:
    return f"{char!r} (U+{ord(char):04X})"


def _shorten(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[:limit] + "..."


# --- header timestamps and files -----------------------------------------------------


def _pin_timestamps(path: Path, stamp: str) -> None:
    """Overwrite pyreadstat's wall-clock stamps, after checking they are where expected."""
    encoded = stamp.encode("ascii")
    if len(encoded) != _STAMP_LENGTH or not _STAMP.fullmatch(encoded):
        raise ValueError(f"bad XPT header timestamp {stamp!r}")
    with open(path, "r+b") as handle:
        head = handle.read(_V5_HEADER_LENGTH)
        unexpected = [
            f"offset {offset}: {head[offset : offset + len(text)]!r}"
            for offset, text in _V5_HEADER_RECORDS.items()
            if head[offset : offset + len(text)] != text
        ] + [
            f"offset {offset}: {head[offset : offset + _STAMP_LENGTH]!r}"
            for offset in _V5_STAMP_OFFSETS
            if not _STAMP.fullmatch(head[offset : offset + _STAMP_LENGTH])
        ]
        if unexpected:
            raise ProblemsError(
                [
                    Problem(
                        "pyreadstat wrote an XPT header laid out other than expected, so its "
                        "timestamps cannot be pinned: " + "; ".join(unexpected),
                        file=str(path),
                        hint=f"Pyreadstat {pyreadstat.__version__} may have changed its writer",
                    )
                ]
            )
        for offset in _V5_STAMP_OFFSETS:
            handle.seek(offset)
            handle.write(encoded)
        handle.flush()
        os.fsync(handle.fileno())


def _header_version(path: Path, head: bytes) -> int:
    if head.startswith(_V5_HEADER_RECORDS[0]):
        return 5
    if head.startswith(_V8_LIBRARY_HEADER):
        return 8
    raise ProblemsError(
        [
            Problem(
                "not a SAS transport file: the library header record is missing",
                file=str(path),
            )
        ]
    )


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (best effort: not every system allows it)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def header_timestamps(path: Path) -> tuple[str, ...]:
    """The four v5 header timestamps of a file, in file order (for checks and tests)."""
    with open(path, "rb") as handle:
        head = handle.read(_V5_HEADER_LENGTH)
    return tuple(
        head[offset : offset + _STAMP_LENGTH].decode("ascii", "replace")
        for offset in _V5_STAMP_OFFSETS
    )

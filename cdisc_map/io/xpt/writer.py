"""Write SAS transport (XPORT) version 5 files, the format FDA takes, atomically.

`write_xpt` checks a frame against the v5 rules first and reports every breach at once
(nothing is silently truncated or mangled), lays out the headers, encodes every column
with numpy (IBM doubles, blank-padded text) into the observations, and writes them to a
temporary file that is flushed to disk and then renamed onto the target: a target is never
half-written, and two runs with SOURCE_DATE_EPOCH set give byte-identical files.

`write_transport` is the lower level: it writes a frame exactly as an `XptLayout` says
(the layout a reader found, for instance), which is how a file SAS wrote is written back
byte for byte.
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc_map.core.problems import Problem, ProblemsError
from cdisc_map.io.xpt.checks import (
    CheckedColumn,
    check_frame,
    declared_length_problems,
    padding_problems,
    parse_format,
)
from cdisc_map.io.xpt.columns import text_block
from cdisc_map.io.xpt.ibm import IbmOverflowError, double_to_ibm
from cdisc_map.io.xpt.records import NUMERIC, RECORD_LENGTH, TEXT, Namestr, XptLayout, layout_header
from cdisc_map.io.xpt.timestamps import build_timestamp, sas_header_timestamp

_NUMERIC_JUSTIFICATION = 1  # right-justified, as ReadStat wrote our numerics before (SAS: 0)


def write_xpt(
    frame: pd.DataFrame,
    path: Path,
    *,
    dataset: str,
    label: str,
    column_labels: dict[str, str],
    formats: dict[str, str] | None = None,
    created: datetime | None = None,
    informats: dict[str, str] | None = None,
    lengths: dict[str, int] | None = None,
    require_labels: bool = True,
) -> None:
    """Write `frame` as one SAS transport v5 dataset at `path`, atomically.

    Columns are numeric (written as 8-byte IBM doubles, NaN as the missing value ".") or
    text (str, missing as blank); each text column's length is its longest value in
    bytes, or the length `lengths` declares for it (a file converted from another keeps
    its declared lengths; a declared length shorter than a value is refused).
    `column_labels` must label every column (`require_labels=False` lets a converted file
    keep the blank labels it came with); labels for columns not in the frame are
    ignored, so a domain's whole label table may be passed. `formats` maps column
    names to SAS display formats such as "DATE9." (NAMESTR nform), `informats` to input
    formats (niform); each is written only where given, never copied into the other.
    `created` (default `build_timestamp()`) is stamped in the four header stamps. Raises
    ProblemsError listing every rule broken (names, labels, ASCII, 200-byte values, types,
    the IBM range; a problem's row is the observation number, the 1-based position in
    `frame`); an existing file at `path` is then left as it was.
    """
    path = Path(path)
    formats, informats = dict(formats or {}), dict(informats or {})
    problems, columns = check_frame(frame, dataset, label, column_labels, formats, informats, require_labels)
    if not problems and lengths:
        problems += declared_length_problems(columns, lengths, dataset)
    if not problems:
        problems += padding_problems(columns, len(frame), dataset)
    if not path.parent.is_dir():
        problems.append(Problem("the output folder does not exist", file=str(path.parent), dataset=dataset))
    if problems:
        raise ProblemsError(problems)
    stamp = sas_header_timestamp(created if created is not None else build_timestamp())
    variables, position = [], 0
    for number, column in enumerate(columns, start=1):
        shown = parse_format(formats[column.name]) if column.name in formats else None
        entered = parse_format(informats[column.name]) if column.name in informats else None
        variables.append(Namestr(
            name=column.name, label=column_labels.get(column.name) or "", kind=TEXT if column.is_text else NUMERIC,
            length=column.length, number=number, position=position,
            format=shown.name if shown else "", format_length=shown.width if shown else 0,
            format_decimals=shown.decimals if shown else 0,
            justification=0 if column.is_text else _NUMERIC_JUSTIFICATION,
            informat=entered.name if entered else "", informat_length=entered.width if entered else 0,
            informat_decimals=entered.decimals if entered else 0,
        ))
        position += column.length
    layout = XptLayout(dataset=dataset, label=label, variables=tuple(variables), created=stamp, modified=stamp,
                       member_created=stamp, member_modified=stamp)
    observations = np.empty((len(frame), layout.row_length), dtype=np.uint8)
    for column, variable in zip(columns, variables, strict=True):  # one column's bytes at a time
        observations[:, variable.position : variable.position + variable.length] = _checked_block(column)
    _write_atomically(path, layout_header(layout, _ascii), observations, dataset)


def write_transport(
    frame: pd.DataFrame,
    path: Path,
    layout: XptLayout,
    *,
    missing_codes: dict[str, np.ndarray] | None = None,
    encoding: str = "ascii",
) -> None:
    """Write `frame` exactly as `layout` says: every header field, length and position as given.

    The frame's columns are taken by the layout's variable names. Text is encoded with
    `encoding` and must fit its variable's length; numbers are IBM doubles cut to the
    variable's length (as SAS stores short numerics); NaN is the missing value "." unless
    `missing_codes` gives another for that row (as `read_xpt` reports them). No v5 naming
    or labelling rule is checked here: that is `write_xpt`'s job. Atomic like `write_xpt`.
    """
    path = Path(path)
    missing_codes = missing_codes or {}

    def encode(text: str) -> bytes:
        return text.encode(encoding)

    problems = [
        Problem("the frame has no column for this variable", file=str(path), dataset=layout.dataset, column=v.name)
        for v in layout.variables if v.name not in frame.columns
    ]
    end = 0
    for variable in sorted(layout.variables, key=lambda v: v.position):
        if variable.position != end:  # the values must tile the observation, no gap and no overlap
            problems.append(Problem(f"the layout puts this variable at byte {variable.position} of an observation, "
                                    f"where byte {end} is next", file=str(path), dataset=layout.dataset,
                                    column=variable.name))
        end = variable.position + variable.length
    if problems:
        raise ProblemsError(problems)
    def fault(exc: Exception, column: str | None = None) -> ProblemsError:
        return ProblemsError([Problem(f"cannot write the file as its layout says: {exc}", file=str(path),
                                      dataset=layout.dataset, column=column)])

    try:
        header = layout_header(layout, encode)
    except (ValueError, UnicodeError) as exc:
        raise fault(exc) from exc
    observations = np.empty((len(frame), layout.row_length), dtype=np.uint8)
    for variable in layout.variables:
        series = frame[variable.name]
        try:
            if variable.is_text:
                codes, uniques = pd.factorize(series, use_na_sentinel=True)
                encoded = [str(value).encode(encoding) for value in np.asarray(uniques, dtype=object)]
                block = text_block(codes, encoded, variable.length)
            else:
                values = series.to_numpy(dtype="float64", na_value=np.nan)
                block = double_to_ibm(values, missing_codes.get(variable.name))[:, : variable.length]
        except (ValueError, UnicodeError, IbmOverflowError) as exc:
            raise fault(exc, variable.name) from exc
        observations[:, variable.position : variable.position + variable.length] = block
    _write_atomically(path, header, observations, layout.dataset)


def _ascii(text: str) -> bytes:
    return text.encode("ascii")


def _checked_block(column: CheckedColumn) -> np.ndarray:
    if column.is_text:
        return text_block(column.codes, [value.encode("ascii") for value in column.distinct], column.length)
    return double_to_ibm(column.values)


def _write_atomically(path: Path, header: bytes, observations: np.ndarray, dataset: str) -> None:
    """Header, observations and padding, via a temporary file flushed to disk and renamed."""
    padding = b" " * (-observations.size % RECORD_LENGTH)  # blanks to a whole 80-byte record
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        try:
            with open(temporary, "wb") as handle:
                handle.write(header)
                handle.write(observations.reshape(-1))
                handle.write(padding)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except OSError as exc:
            raise ProblemsError(
                [Problem(f"could not write the XPT file: {exc.strerror or exc}", file=str(path), dataset=dataset)]
            ) from exc
    finally:
        temporary.unlink(missing_ok=True)
    fsync_folder(path.parent)


def fsync_folder(folder: Path) -> None:
    """Make a rename itself durable (best effort: not every system allows it)."""
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

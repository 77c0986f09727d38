"""Read a SAS transport file, version 5 (or 8), into a frame and what its headers say.

Reading anything, crashing on nothing: a damaged or truncated file (a wrong header, NAMESTR
records cut short, an observation cut in the middle) raises `ProblemsError` saying what is
wrong and at which byte, and text in any encoding is read (see `read_xpt`), with the columns
and labels holding non-ASCII text named in `XptMeta`, so that a validator can report them
and go on. A version 8 file (LIBV8 header) is read too, long names and labels included, and
says so in `XptMeta.version`.
"""

from __future__ import annotations

import codecs
import mmap
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc_map.core.problems import Problem, ProblemsError
from cdisc_map.io.xpt.columns import distinct_bytes, distinct_rows
from cdisc_map.io.xpt.ibm import SYSTEM_MISSING, ibm_to_double
from cdisc_map.io.xpt.records import (
    NAMESTR_LENGTH,
    RECORD_LENGTH,
    TEXT,
    V5_NAMES,
    V8_NAMES,
    VAX_NAMESTR_LENGTH,
    Namestr,
    RecordError,
    XptLayout,
    header_number,
    observation_count,
    parse_header,
    parse_namestr,
)

# Tried in this order when the caller names no encoding (ASCII is valid UTF-8).
GUESSED_ENCODINGS = ("utf-8", "cp1252", "latin-1")
# Observations are decoded this many bytes at a time from the mapped file, whose pages are then
# given back: reading a file costs its frame and one chunk, not the frame and the whole file.
CHUNK_BYTES = 16 << 20
_MEMBER_HEADER_START = b"HEADER RECORD*******MEMB"  # MEMBER or MEMBV8
_MEMBER_HEADERS = (
    b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!",
    b"HEADER RECORD*******MEMBV8  HEADER RECORD!!!!!!!",
)


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
    informats: dict[str, str] = field(default_factory=dict)  # NAMESTR niform, kept apart from formats
    modified: str = ""  # the library header's modified stamp
    encoding: str = "utf-8"  # how the text was decoded (given, or the first of GUESSED_ENCODINGS that fits)
    non_ascii_columns: tuple[str, ...] = ()  # text columns with a non-ASCII value
    non_ascii_labels: tuple[str, ...] = ()  # columns whose label is not ASCII; "" for the dataset label
    numeric_lengths: dict[str, int] = field(default_factory=dict)  # bytes, numeric columns (8 unless shortened)
    longest_values: dict[str, int] = field(default_factory=dict)  # bytes of each text column's longest value
    # Everything the headers say, and per numeric column with special missing values (.A-.Z, ._)
    # the byte of each row's missing value (0 for numbers): what `write_transport` needs to
    # write the same file again.
    layout: XptLayout | None = field(default=None, compare=False, repr=False)
    missing_codes: dict[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class _Structure:
    """A file's layout before its text is decoded (names and labels still as latin-1)."""

    version: int
    fields: dict[str, bytes]  # raw header text fields
    namestrs: list[bytes]
    long_entries: dict[int, dict[str, bytes]]  # version 8 LABELV8/LABELV9, by variable number
    observations_offset: int
    observations_end: int
    stated_observations: int | None
    namestr_length: int


def read_xpt(path: Path, *, encoding: str | None = None) -> tuple[pd.DataFrame, XptMeta]:
    """Read an XPT file (v5 or v8) with its metadata, for checks and validation.

    Values come back as stored: text as str with trailing blanks removed ("" for blank),
    numerics as float64 with every missing value (., .A-.Z, ._) as NaN (which one is in
    `XptMeta.missing_codes`); SAS dates stay day counts, their format is in
    `XptMeta.formats`. Text is decoded with `encoding` when given (an undecodable value is
    then a problem naming its column and row); otherwise as UTF-8 when every text is valid
    UTF-8 (ASCII is), else as Windows-1252 when every byte is defined there, else as
    latin-1, which decodes anything. `XptMeta.encoding` says which.

    Observations are counted from the file's length, as SAS does: when an observation is
    shorter than 80 bytes, blank observations in the last record are its padding.
    """
    path = Path(path)
    if encoding is not None:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError as exc:
            raise ProblemsError([Problem(f"unknown text encoding {encoding!r}", file=str(path))]) from exc
    try:
        with open(path, "rb") as handle:
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if path.stat().st_size else b""
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise ProblemsError([Problem(f"cannot read the file: {reason}", file=str(path))]) from exc
    try:
        try:
            structure = _parse_structure(data)
        except RecordError as exc:
            raise ProblemsError(
                [
                    Problem(
                        f"not a readable SAS transport (XPT) file: {exc} at byte {exc.offset} "
                        f"(80-byte record {exc.offset // RECORD_LENGTH + 1})",
                        file=str(path),
                        hint="Check that the file is a whole SAS transport file (not cut short in a copy or download)",
                    )
                ]
            ) from exc
        return _read_member(path, data, structure, encoding)
    finally:
        _close(data)


def _close(data: bytes | mmap.mmap) -> None:
    if isinstance(data, mmap.mmap):
        try:
            data.close()
        except BufferError:  # a view is still referenced (by a traceback): the collector closes it
            pass


def _release(data: bytes | mmap.mmap, start: int, stop: int) -> None:
    """Give back the pages of a mapped file's bytes start:stop (they stay in the page cache)."""
    advise = getattr(data, "madvise", None)
    if advise is None or not hasattr(mmap, "MADV_DONTNEED"):
        return
    first = start - start % mmap.PAGESIZE
    if stop > first:
        advise(mmap.MADV_DONTNEED, first, stop - first)


# --- structure -------------------------------------------------------------------------


def _record(data: bytes, offset: int, what: str) -> bytes:
    record = data[offset : offset + RECORD_LENGTH]
    if len(record) < RECORD_LENGTH:
        raise RecordError(f"the file ends before the {what} (it is {len(data)} bytes long)", offset)
    return record


def _expect(data: bytes, offset: int, names: dict[str, str], key: str) -> bytes:
    name, tail = parse_header(_record(data, offset, f"{names[key]} header record"), offset)
    if name != names[key]:
        raise RecordError(f"expected the {names[key]} header record, found the {name or 'unnamed'} header", offset)
    return tail


def _parse_structure(data: bytes) -> _Structure:
    first = _record(data, 0, "library header record")
    name, _ = parse_header(first, 0)
    if name == "LIBRARY":
        version, names = 5, V5_NAMES
    elif name == "LIBV8":
        version, names = 8, V8_NAMES
    else:
        raise RecordError(f"the first record is the {name} header, not the library header", 0)
    library = _record(data, 80, "library header's first record")
    library_modified = _record(data, 160, "library header's second record")
    member_tail = _expect(data, 240, names, "member")
    try:
        namestr_length = header_number(member_tail, 26, 30)
    except ValueError as exc:
        raise RecordError("the member header does not state the NAMESTR record length", 240) from exc
    if namestr_length not in (NAMESTR_LENGTH, VAX_NAMESTR_LENGTH):
        raise RecordError(f"the member header states NAMESTR records of {namestr_length} bytes, not 140 or 136", 240)
    _expect(data, 320, names, "descriptor")
    member = _record(data, 400, "member header's first record")
    member_second = _record(data, 480, "member header's second record")
    name_field = member[8:16] if version == 5 else member[8:40]
    rest = member[16:] if version == 5 else member[40:]
    fields = {
        "sas_version": library[24:32], "os": library[32:40], "created": library[64:80],
        "modified": library_modified[:16],
        "dataset": name_field, "member_sas_version": rest[8:16], "member_os": rest[16:24],
        "member_created": member[64:80], "member_modified": member_second[:16],
        "label": member_second[32:72], "dataset_type": member_second[72:80],
    }
    namestr_tail = _expect(data, 560, names, "namestr")
    try:
        count = header_number(namestr_tail, 5, 10)
    except ValueError as exc:
        raise RecordError("the NAMESTR header does not state the number of variables", 560) from exc
    start = 640
    end = start + count * namestr_length
    if end > len(data):
        raise RecordError(
            f"the NAMESTR records end early: {count} variables of {namestr_length} bytes need "
            f"{count * namestr_length} bytes, the file has {max(len(data) - start, 0)} after the NAMESTR header",
            start,
        )
    namestrs = [data[start + i * namestr_length : start + (i + 1) * namestr_length] for i in range(count)]
    offset = _next_record(end)
    long_entries: dict[int, dict[str, bytes]] = {}
    if version == 8:
        label_name, label_tail = parse_header(_record(data, offset, "OBSV8 header record"), offset)
        if label_name in ("LABELV8", "LABELV9"):
            offset = _parse_long_entries(data, offset, label_name, label_tail, long_entries)
    obs_tail = _expect(data, offset, names, "obs")
    observations_offset = offset + RECORD_LENGTH
    observations_end = _member_end(data, observations_offset)
    return _Structure(
        version=version, fields=fields, namestrs=namestrs, long_entries=long_entries,
        observations_offset=observations_offset, observations_end=observations_end,
        stated_observations=observation_count(obs_tail) if version == 8 else None,
        namestr_length=namestr_length,
    )


def _next_record(offset: int) -> int:
    return offset + (-offset % RECORD_LENGTH)


def _parse_long_entries(data: bytes, offset: int, kind: str, tail: bytes, entries: dict) -> int:
    """Version 8 LABELV8 (name, label) or LABELV9 (name, format, informat, label) entries."""
    try:
        count = int(tail.split()[0]) if tail.split() else 0
    except ValueError as exc:
        raise RecordError(f"the {kind} header does not state how many entries follow", offset) from exc
    parts = ("name", "label") if kind == "LABELV8" else ("name", "format", "informat", "label")
    position = offset + RECORD_LENGTH
    for _ in range(count):
        head_length = 2 * (1 + len(parts))
        head = data[position : position + head_length]
        if len(head) < head_length:
            raise RecordError(f"the {kind} entries end early", position)
        numbers = [int.from_bytes(head[i : i + 2], "big") for i in range(0, head_length, 2)]
        position += head_length
        entry = {}
        for part, length in zip(parts, numbers[1:], strict=True):
            entry[part] = data[position : position + length]
            if len(entry[part]) < length:
                raise RecordError(f"the {kind} entries end early", position)
            position += length
        entries[numbers[0]] = entry
    return _next_record(position)


def _member_end(data: bytes, start: int) -> int:
    """Where the first member's observations end: the file's end, or a second member's header."""
    position = start
    while position < len(data):
        stop = min(len(data), position + CHUNK_BYTES)
        found = data.find(_MEMBER_HEADER_START, position, stop + len(_MEMBER_HEADER_START))
        while found != -1:
            if not (found - start) % RECORD_LENGTH and data[found : found + 48] in _MEMBER_HEADERS:
                return found
            found = data.find(_MEMBER_HEADER_START, found + 1, stop + len(_MEMBER_HEADER_START))
        _release(data, position, stop)
        position = stop
    return len(data)


# --- members ---------------------------------------------------------------------------


class _TextColumn:
    """One text column's distinct values (as bytes) and codes, gathered chunk by chunk of rows."""

    def __init__(self) -> None:
        self.seen: dict[bytes, int] = {}
        self.distinct: list[bytes] = []
        self.first: list[int] = []  # the row where each distinct value first appears
        self.chunks: list[np.ndarray] = []
        self.non_ascii = False

    def add(self, chunk: np.ndarray, start: int) -> None:
        codes, first = distinct_rows(chunk)
        numbers = np.empty(len(first), dtype=np.int32)
        for index, value in enumerate(distinct_bytes(chunk, first)):
            number = self.seen.get(value)
            if number is None:
                number = self.seen[value] = len(self.distinct)
                self.distinct.append(value)
                self.first.append(start + int(first[index]))
                self.non_ascii = self.non_ascii or not value.isascii()
            numbers[index] = number
        self.chunks.append(numbers[codes])

    def codes(self, rows: int) -> np.ndarray:
        codes = np.concatenate(self.chunks) if self.chunks else np.zeros(rows, dtype=np.int32)
        self.chunks = []
        return codes


def _read_member(path: Path, data: bytes, structure: _Structure, encoding: str | None) -> tuple[pd.DataFrame, XptMeta]:
    """The one dataset of a file: its variables checked, its observations counted, each column decoded."""
    latin = _decoder("latin-1")
    variables = [parse_namestr(raw, structure.version, latin) for raw in structure.namestrs]
    dataset_guess = _strip(structure.fields["dataset"]).decode("latin-1")

    def problem(message: str, **where) -> ProblemsError:
        return ProblemsError([Problem(message, file=str(path), dataset=dataset_guess or None, **where)])

    if structure.observations_end != len(data):
        raise problem(
            f"the file holds more than one dataset (a second member starts at byte {structure.observations_end})",
            hint="Submissions take one dataset per transport file: export each dataset to a file of its own",
        )
    _check_variables(variables, structure, problem)
    row_length = sum(v.length for v in variables)
    rows = _observation_count(data, structure, row_length, problem)
    text_columns = {index: _TextColumn() for index, v in enumerate(variables) if v.is_text}
    numbers = {index: (np.empty(rows), np.zeros(rows, dtype=np.uint8)) for index, v in enumerate(variables)
               if not v.is_text}
    step = max(1, CHUNK_BYTES // max(row_length, 1))
    for start in range(0, rows, step):
        stop = min(rows, start + step)
        offset = structure.observations_offset + start * row_length
        block = np.frombuffer(data, dtype=np.uint8, count=(stop - start) * row_length, offset=offset)
        block = block.reshape(stop - start, row_length)
        for index, variable in enumerate(variables):
            chunk = block[:, variable.position : variable.position + variable.length]
            if variable.is_text:
                text_columns[index].add(chunk, start)
            else:
                values, tags = numbers[index]
                values[start:stop], tags[start:stop] = ibm_to_double(chunk)
        del block, chunk
        _release(data, offset, offset + (stop - start) * row_length)

    header_texts = [*structure.fields.values()]
    header_texts += [text.encode("latin-1") for v in variables for text in (v.name, v.label, v.format, v.informat)]
    header_texts += [value for entry in structure.long_entries.values() for value in entry.values()]
    chosen = encoding or _guess_encoding(header_texts, [t.distinct for t in text_columns.values() if t.non_ascii])
    decode = _decoder(chosen)
    try:
        variables = [_with_long_entries(parse_namestr(raw, structure.version, decode), structure, decode)
                     for raw in structure.namestrs]
        fields = {key: decode(value) for key, value in structure.fields.items()}
    except UnicodeDecodeError as exc:
        raise problem(f"a header text is not valid {chosen}: {exc.reason}",
                      hint="Give the file's text encoding (for example 'cp1252' or 'latin1')") from exc
    names = [v.name for v in variables]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise problem(f"variable name(s) {', '.join(repeated)} appear more than once in the NAMESTR records")

    columns: dict[str, object] = {}
    missing_codes: dict[str, np.ndarray] = {}
    non_ascii: list[str] = []
    longest: dict[str, int] = {}
    for index, variable in enumerate(variables):
        if variable.is_text:
            text = text_columns.pop(index)
            codes = text.codes(rows)
            columns[variable.name] = _decode_column(text.distinct, codes, text.first, chosen, variable.name, problem)
            if text.non_ascii:
                non_ascii.append(variable.name)
            longest[variable.name] = max(map(len, text.distinct), default=0)
        else:
            values, tags = numbers.pop(index)
            columns[variable.name] = values
            if ((tags != 0) & (tags != SYSTEM_MISSING)).any():
                missing_codes[variable.name] = tags
    frame = pd.DataFrame(columns, index=pd.RangeIndex(rows))
    frame.columns = names  # also when there are no columns

    layout = XptLayout(
        dataset=fields["dataset"], label=fields["label"], variables=tuple(variables), version=structure.version,
        created=fields["created"], modified=fields["modified"], member_created=fields["member_created"],
        member_modified=fields["member_modified"], dataset_type=fields["dataset_type"],
        sas_version=fields["sas_version"], os=fields["os"], member_sas_version=fields["member_sas_version"],
        member_os=fields["member_os"], namestr_length=structure.namestr_length,
        observations=structure.stated_observations,
    )
    return frame, _meta(layout, chosen, tuple(non_ascii), missing_codes, longest)


def _meta(layout: XptLayout, encoding: str, non_ascii: tuple[str, ...], missing_codes: dict,
          longest: dict[str, int]) -> XptMeta:
    variables = layout.variables
    labels_not_ascii = [""] if not layout.label.isascii() else []
    labels_not_ascii += [v.name for v in variables if not v.label.isascii()]
    return XptMeta(
        dataset=layout.dataset,
        label=layout.label,
        version=layout.version,
        created=layout.created,
        column_labels={v.name: v.label for v in variables},
        column_types={v.name: "text" if v.is_text else "numeric" for v in variables},
        character_lengths={v.name: v.length for v in variables if v.is_text},
        formats={v.name: v.format_text for v in variables if v.format_text},
        informats={v.name: v.informat_text for v in variables if v.informat_text},
        modified=layout.modified,
        encoding=encoding,
        non_ascii_columns=non_ascii,
        non_ascii_labels=tuple(labels_not_ascii),
        numeric_lengths={v.name: v.length for v in variables if not v.is_text},
        longest_values=longest,
        layout=layout,
        missing_codes=missing_codes,
    )


def _check_variables(variables: list[Namestr], structure: _Structure, problem) -> None:
    """Every NAMESTR record describes a value that fits in the observation."""
    row_length = sum(v.length for v in variables)
    for index, variable in enumerate(variables):
        offset = 640 + index * structure.namestr_length
        name = variable.name or f"number {index + 1}"
        if variable.kind not in (1, TEXT):
            raise problem(f"damaged NAMESTR record at byte {offset}: variable {name} has type {variable.kind}, "
                          "not 1 (numeric) or 2 (character)")
        low = 2 if variable.kind == 1 else 1
        high = 8 if variable.kind == 1 else 32767
        if not low <= variable.length <= high:
            raise problem(f"damaged NAMESTR record at byte {offset}: variable {name} has length {variable.length}")
        if not 0 <= variable.position <= row_length - variable.length:
            raise problem(f"damaged NAMESTR record at byte {offset}: variable {name} starts at byte "
                          f"{variable.position} of an observation of {row_length} bytes")


def _observation_count(data: bytes, structure: _Structure, row_length: int, problem) -> int:
    """How many observations the data records hold (SAS: blank ones in the last record are padding)."""
    length = structure.observations_end - structure.observations_offset
    if length % RECORD_LENGTH:
        cut = structure.observations_offset + length - length % RECORD_LENGTH
        raise problem(f"the file ends in the middle of an 80-byte record: {length % RECORD_LENGTH} bytes "
                      f"after the last whole record (at byte {cut}); it was probably cut short",
                      hint="Copy or export the file again")
    if row_length == 0:
        return 0
    most = length // row_length
    if length - most * row_length >= RECORD_LENGTH:
        cut = structure.observations_offset + most * row_length
        raise problem(f"the last observation is cut short: {length - most * row_length} bytes of a "
                      f"{row_length}-byte observation at byte {cut}, more than padding; the file was probably "
                      "cut short", row=most + 1, hint="Copy or export the file again")
    if structure.stated_observations is not None:
        stated = structure.stated_observations
        if not 0 <= length - stated * row_length < RECORD_LENGTH:
            raise problem(f"the observation header states {stated} observations of {row_length} bytes, but "
                          f"the file holds {length} bytes of observations")
        return stated
    fewest = (length - RECORD_LENGTH) // row_length + 1 if length else 0
    rows = most
    start = structure.observations_offset
    while rows > fewest:
        row = data[start + (rows - 1) * row_length : start + rows * row_length]
        if row.count(b" ") != row_length:
            break
        rows -= 1
    return rows


def _with_long_entries(variable: Namestr, structure: _Structure, decode) -> Namestr:
    entry = structure.long_entries.get(variable.number)
    if not entry:
        return variable
    changes = {"name": decode(entry["name"]) or variable.name, "label": decode(entry["label"])}
    if "format" in entry and entry["format"]:
        changes["format"] = decode(entry["format"])
    if "informat" in entry and entry["informat"]:
        changes["informat"] = decode(entry["informat"])
    return replace(variable, **changes)


def _strip(value: bytes) -> bytes:
    return value.rstrip(b" \x00")


def _decoder(encoding: str) -> Callable[[bytes], str]:
    def decode(value: bytes) -> str:
        return _strip(value).decode(encoding)

    return decode


def _guess_encoding(header_texts: list[bytes], columns: list[list[bytes]]) -> str:
    texts = [t for t in header_texts if not t.isascii()] + [v for values in columns for v in values if not v.isascii()]
    for candidate in GUESSED_ENCODINGS:
        try:
            for text in texts:
                text.decode(candidate)
        except UnicodeDecodeError:
            continue
        return codecs.lookup(candidate).name
    return "iso8859-1"  # not reached: latin-1 decodes every byte


def _decode_column(distinct: list[bytes], codes: np.ndarray, first: np.ndarray, encoding: str, column: str,
                   problem: Callable[..., ProblemsError]) -> pd.Series:
    """Each distinct value decoded once; every row shares its value's string."""
    try:
        texts = [value.decode(encoding) for value in distinct]
    except UnicodeDecodeError as exc:
        bad = next(i for i, value in enumerate(distinct) if not _decodes(value, encoding))
        raise problem(
            f"not valid {encoding} text: {exc.reason} (bytes {distinct[bad][exc.start:exc.end]!r})",
            column=column, row=int(first[bad]) + 1, value=distinct[bad].decode("latin-1"),
            hint="Give the file's text encoding (for example 'cp1252' or 'latin1'), or leave it out to have it guessed",
        ) from exc
    table = np.empty(len(texts), dtype=object)
    table[:] = texts
    return pd.Series(table[codes], dtype="str", copy=False)


def _decodes(value: bytes, encoding: str) -> bool:
    try:
        value.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True

"""Convert one dataset between SAS transport (XPT v5) and Dataset-JSON 1.1, losing nothing.

XPT -> Dataset-JSON keeps every value and what the XPT says about itself: the dataset
name and label, each variable's label, type, length and display format (numeric dates
become ISO 8601 dates with targetDataType integer, see `datasetjson`). Dataset-JSON ->
XPT turns them back: a round trip gives the same values and metadata as pyreadstat
reads them. Between .json and .ndjson the metadata and rows are carried over as they
are. The target is written atomically; any problem (a value XPT v5 cannot hold, a
damaged file) is raised as a ProblemsError and leaves the target as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from cdisc_map.core.problems import Problem, ProblemsError
from cdisc_map.io.datasetjson import (
    SUFFIXES,
    Context,
    load_document,
    read_dataset_json,
    write_dataset_json,
    write_document,
)
from cdisc_map.io.xpt import XptMeta, read_xpt, write_xpt

FORMATS = {".xpt": "xpt", ".json": "json", ".ndjson": "ndjson"}


@dataclass(frozen=True)
class Converted:
    """What a conversion wrote."""

    source: Path
    target: Path
    dataset: str
    records: int
    variables: int


def convert_dataset(source: Path, target: Path, *, created: datetime | None = None,
                    context: Context | None = None, encoding: str | None = None) -> Converted:
    """Convert `source` into `target`; the formats follow the suffixes (.xpt, .json, .ndjson).

    `created` stamps the XPT header or datasetJSONCreationDateTime (default: the
    build timestamp, SOURCE_DATE_EPOCH when set); `context` fills the study and
    source-system attributes of a Dataset-JSON file written from an XPT. `encoding`
    is the text encoding of a source XPT file (XPT records none; default UTF-8). A
    source whose text is not UTF-8 needs it: the validator may guess Windows-1252 to
    report on a legacy file, but a conversion that guessed could write other characters
    than the file holds, so it names the guess and asks.
    """
    source, target = Path(source), Path(target)
    source_format, target_format = _format(source), _format(target)
    problems = [p for p in (source_format, target_format) if isinstance(p, Problem)]
    if problems:
        raise ProblemsError(problems)
    if not source.is_file():
        raise ProblemsError([Problem("file not found", file=str(source), hint="Check the path and the file name")])
    if source_format == target_format:
        raise ProblemsError([Problem(f"both files are {source_format.upper()}: there is nothing to convert",
                                     file=str(target), hint="Give the target a .xpt, .json or .ndjson name "
                                     "of another format")])
    if source.resolve() == target.resolve():
        raise ProblemsError([Problem("the source and the target are the same file", file=str(target))])

    if source_format == "xpt":
        frame, meta = read_xpt(source, encoding=encoding)
        if encoding is None and meta.encoding != "utf-8":
            raise ProblemsError([_guessed_encoding(source, meta)])
        written = write_dataset_json(
            frame, target, dataset=meta.dataset or source.stem.upper(), label=meta.label,
            column_labels=meta.column_labels, formats=meta.formats, lengths=meta.character_lengths,
            created=created, context=context)
        return Converted(source, target, written.name, len(frame), len(frame.columns))

    frame, json_meta = read_dataset_json(source)  # checks every value, whatever the target
    if target_format in ("json", "ndjson"):
        header, rows = load_document(source)
        write_document(header, rows, target)
    else:
        _write_transport(frame, json_meta.transport_meta(), target, created)
    return Converted(source, target, json_meta.name, len(frame), len(frame.columns))


def _guessed_encoding(source: Path, meta: XptMeta) -> Problem:
    where = ", ".join(meta.non_ascii_columns[:5]) or "its labels"
    return Problem(f"the text of {where} is not UTF-8; it decodes as {meta.encoding}, but XPT records "
                   "no encoding, so that is a guess", file=str(source),
                   hint=f"give the encoding the file was written with (for example --encoding {meta.encoding})")


def _format(path: Path) -> str | Problem:
    found = FORMATS.get(path.suffix.lower())
    if found is None:
        return Problem(f"unknown dataset file type {path.suffix or '(no suffix)'!r}", file=str(path),
                       hint=f"Name an XPT file (.xpt) or a Dataset-JSON file ({', '.join(SUFFIXES)})")
    return found


def _write_transport(frame: pd.DataFrame, meta: XptMeta, target: Path, created: datetime | None) -> None:
    """An XPT v5 file with the Dataset-JSON file's names, labels, lengths and formats.

    Labels may be blank, as in the file converted; every other XPT v5 rule holds
    (names of 8 characters, ASCII, 200-byte values) and is reported when broken.
    """
    write_xpt(frame, target, dataset=meta.dataset, label=meta.label, column_labels=meta.column_labels,
              formats=meta.formats, lengths=meta.character_lengths, created=created, require_labels=False)


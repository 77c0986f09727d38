"""The records of a SAS transport file: 80-byte header records and 140-byte NAMESTR records.

The layout follows SAS technical note TS-140 ("Record layout of a SAS version 5 or 6 data
set in SAS transport (XPORT) format") and, for version 8, the SAS document on the V8
transport format: a library header, a member header with the dataset's name, label and
stamps, one NAMESTR record per variable, an observation header, then the observations,
each part padded with blanks to a whole number of 80-byte records.

Everything a header says is kept as data (`XptLayout`, `Namestr`), so that a file read
can be written back byte for byte, and a writer states each field it writes.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

RECORD_LENGTH = 80
NAMESTR_LENGTH = 140
VAX_NAMESTR_LENGTH = 136  # TS-140: VAX/VMS writes 136-byte NAMESTR records
NUMERIC, TEXT = 1, 2  # NAMESTR ntype

# The writer's own identity in the header's "SAS version" and "operating system" fields.
# These are the values pyreadstat (ReadStat) writes, kept so that files cdisc-map wrote
# before its own writer stay byte-identical; SAS's readers do not interpret them.
WRITER_SAS_VERSION = "6.06"
WRITER_OS = "bsd4.2"

_PREFIX = b"HEADER RECORD*******"
_SUFFIX = b"HEADER RECORD!!!!!!!"
_HEADER = re.compile(rb"HEADER RECORD\*{7}([A-Z0-9 ]{8})HEADER RECORD!{7}(.{32})", re.DOTALL)
_DIGITS = re.compile(rb"\s*(\d+)\s*")

# NAMESTR: ntype nhfun nlng nvar0 nname nlabel nform nfl nfd nfj nfill niform nifl nifd npos rest
_NAMESTR = struct.Struct(">hhhh8s40s8shhh2s8shhi52s")
# Version 8 keeps the long name (32), the label length and 18 more bytes in `rest`.
_V8_REST = struct.Struct(">32sh18s")

# Header record names, version 5 and version 8.
V5_NAMES = {"library": "LIBRARY", "member": "MEMBER", "descriptor": "DSCRPTR", "namestr": "NAMESTR", "obs": "OBS"}
V8_NAMES = {"library": "LIBV8", "member": "MEMBV8", "descriptor": "DSCPTV8", "namestr": "NAMSTV8", "obs": "OBSV8"}


class RecordError(ValueError):
    """A record is not what the format says it must be; `offset` is its byte offset."""

    def __init__(self, message: str, offset: int):
        self.offset = offset
        super().__init__(message)


@dataclass(frozen=True)
class Namestr:
    """One variable's NAMESTR record, field by field (TS-140 names in the comments)."""

    name: str  # nname (version 8: the long name from the record's rest, or LABELV8/9)
    label: str  # nlabel (version 8: the full label from LABELV8/9 when longer than 40)
    kind: int  # ntype: NUMERIC (1) or TEXT (2)
    length: int  # nlng: bytes in an observation
    number: int  # nvar0: the variable's number, from 1
    position: int  # npos: offset of the value in an observation
    format: str = ""  # nform: format name without width, e.g. "DATE", "$CHAR", "" for "8.2"
    format_length: int = 0  # nfl
    format_decimals: int = 0  # nfd
    justification: int = 0  # nfj: 0 left, 1 right
    informat: str = ""  # niform
    informat_length: int = 0  # nifl
    informat_decimals: int = 0  # nifd
    hash: int = 0  # nhfun: always 0
    fill: bytes = b"\0\0"  # nfill
    rest: bytes = bytes(52)  # the record's last 52 bytes (version 5: zeros)

    @property
    def is_text(self) -> bool:
        return self.kind == TEXT

    @property
    def format_text(self) -> str:
        """The display format as SAS writes it, "DATE9.", "8.2", "$CHAR20."; "" for none."""
        return format_text(self.format, self.format_length, self.format_decimals)

    @property
    def informat_text(self) -> str:
        return format_text(self.informat, self.informat_length, self.informat_decimals)


@dataclass(frozen=True)
class XptLayout:
    """What the headers of one transport file say: everything but the observations."""

    dataset: str
    label: str = ""
    variables: tuple[Namestr, ...] = ()
    version: int = 5
    created: str = ""  # library header stamp, ddMMMyy:hh:mm:ss
    modified: str = ""
    member_created: str = ""
    member_modified: str = ""
    dataset_type: str = ""  # the member's dstype, blank in practice
    sas_version: str = WRITER_SAS_VERSION
    os: str = WRITER_OS
    member_sas_version: str = WRITER_SAS_VERSION
    member_os: str = WRITER_OS
    namestr_length: int = NAMESTR_LENGTH
    observations: int | None = field(default=None, compare=False)  # version 8 states it

    @property
    def row_length(self) -> int:
        return sum(v.length for v in self.variables)


def format_text(name: str, width: int, decimals: int) -> str:
    """nform/nfl/nfd as one format: ("DATE", 9, 0) -> "DATE9.", ("", 8, 2) -> "8.2"."""
    if not name and not width and not decimals:
        return ""
    return f"{name}{width or ''}.{decimals or ''}"


# --- reading ---------------------------------------------------------------------------


def parse_header(record: bytes, offset: int) -> tuple[str, bytes]:
    """A header record's name ("LIBRARY", "NAMESTR", ...) and its 32 trailing characters."""
    match = _HEADER.fullmatch(record)
    if len(record) != RECORD_LENGTH or match is None:
        shown = record[:48].decode("latin-1")
        raise RecordError(f"expected a header record (HEADER RECORD*******...), found {shown!r}", offset)
    return match.group(1).decode("ascii").strip(), match.group(2)


def header_number(tail: bytes, start: int, stop: int) -> int:
    """The number in characters start:stop of a header record's 32-character tail."""
    digits = _DIGITS.fullmatch(tail[start:stop])
    if digits is None:
        raise ValueError(f"not a number: {tail[start:stop]!r}")
    return int(digits.group(1))


def observation_count(tail: bytes) -> int | None:
    """The count a version 8 OBSV8 header states, if it states one."""
    digits = _DIGITS.fullmatch(tail)
    return int(digits.group(1)) if digits else None


def parse_namestr(record: bytes, version: int, decode: Callable[[bytes], str]) -> Namestr:
    """One NAMESTR record (140 bytes, or 136 from VAX/VMS) into its fields."""
    if len(record) < NAMESTR_LENGTH:
        record = record + bytes(NAMESTR_LENGTH - len(record))
    (kind, hash_, length, number, name, label, form, nfl, nfd, nfj, fill, iform, nifl, nifd, position,
     rest) = _NAMESTR.unpack(record)
    text_name = decode(name)
    if version == 8:
        long_name, _label_length, _ = _V8_REST.unpack(rest)
        text_name = decode(long_name) or text_name
    return Namestr(
        name=text_name, label=decode(label), kind=kind, length=length, number=number, position=position,
        format=decode(form), format_length=nfl, format_decimals=nfd, justification=nfj,
        informat=decode(iform), informat_length=nifl, informat_decimals=nifd, hash=hash_, fill=fill,
        rest=rest,
    )


# --- writing ---------------------------------------------------------------------------


def header_record(name: str, tail: str = "0" * 30) -> bytes:
    """An 80-byte header record: HEADER RECORD*******<name>HEADER RECORD!!!!!!!<tail>."""
    record = _PREFIX + name.encode("ascii").ljust(8) + _SUFFIX + tail.encode("ascii")
    return pad_record(record)


def pad_record(data: bytes) -> bytes:
    """`data` padded with blanks to the next multiple of 80 bytes."""
    return data + b" " * (-len(data) % RECORD_LENGTH)


def text_field(value: str, width: int, encode: Callable[[str], bytes]) -> bytes:
    """A fixed-width text field, padded with blanks; ValueError when the value is longer."""
    data = encode(value)
    if len(data) > width:
        raise ValueError(f"{value!r} is {len(data)} bytes long, over the field's {width}")
    return data.ljust(width, b" ")


def namestr_bytes(variable: Namestr, encode: Callable[[str], bytes]) -> bytes:
    """One 140-byte NAMESTR record (version 5)."""
    return _NAMESTR.pack(
        variable.kind, variable.hash, variable.length, variable.number,
        text_field(variable.name, 8, encode), text_field(variable.label, 40, encode),
        text_field(variable.format, 8, encode), variable.format_length, variable.format_decimals,
        variable.justification, variable.fill, text_field(variable.informat, 8, encode),
        variable.informat_length, variable.informat_decimals, variable.position, variable.rest,
    )


def layout_header(layout: XptLayout, encode: Callable[[str], bytes]) -> bytes:
    """Every byte before the first observation of a version 5 file."""
    if layout.version != 5:
        raise ValueError("only version 5 transport files are written")
    if layout.namestr_length != NAMESTR_LENGTH:
        raise ValueError(f"NAMESTR records are written {NAMESTR_LENGTH} bytes long")
    stamp = _stamp_field
    parts = [
        header_record("LIBRARY"),
        b"SAS     SAS     SASLIB  " + text_field(layout.sas_version, 8, encode) + text_field(layout.os, 8, encode)
        + b" " * 24 + stamp(layout.created),
        pad_record(stamp(layout.modified)),
        header_record("MEMBER", "0" * 17 + "16" + "0" * 8 + "140  "),
        header_record("DSCRPTR"),
        b"SAS     " + text_field(layout.dataset, 8, encode) + b"SASDATA "
        + text_field(layout.member_sas_version, 8, encode) + text_field(layout.member_os, 8, encode)
        + b" " * 24 + stamp(layout.member_created),
        stamp(layout.member_modified) + b" " * 16 + text_field(layout.label, 40, encode)
        + text_field(layout.dataset_type, 8, encode),
        header_record("NAMESTR", f"000000{len(layout.variables):04d}" + "0" * 20 + "  "),
        pad_record(b"".join(namestr_bytes(v, encode) for v in layout.variables)),
        header_record("OBS"),
    ]
    return b"".join(parts)


def _stamp_field(stamp: str) -> bytes:
    data = stamp.encode("ascii")
    if len(data) != 16:
        raise ValueError(f"a header stamp is 16 characters, ddMMMyy:hh:mm:ss, not {stamp!r}")
    return data

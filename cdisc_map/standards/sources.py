"""Published standards files as text, whatever they came wrapped in.

NCI EVS and the CDISC Library publish tables (tab-delimited text, CSV) that users keep
as they downloaded them: plain, or inside an .xz, .gz or .zip file. Every importer
reads through here, so a table is the same table in any wrapping, and a file that is
not what it claims to be fails with its name and the reason instead of a traceback.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
import zipfile
from dataclasses import dataclass
from os import PathLike
from pathlib import Path, PurePosixPath

from cdisc_map.core.problems import CdiscMapError

TABLE_SUFFIXES = (".txt", ".csv", ".tsv")
_DECOMPRESS = {".xz": lzma.decompress, ".gz": gzip.decompress, ".bz2": bz2.decompress}


class SourceError(CdiscMapError, ValueError):
    """A file that cannot be read as a published standards table."""


@dataclass(frozen=True)
class SourceText:
    """One table read from a file: its text, where it came from, and the file's checksum.

    `name` is the table's own file name (the member of a .zip, or the name without
    .xz/.gz), which is where a release date or package name is usually written.
    """

    path: Path
    name: str
    text: str
    sha256: str  # of the file as given (the archive, not the member), so it matches a download

    @property
    def label(self) -> str:
        """How messages name the table: the file, and the member when it came from an archive."""
        return str(self.path) if self.path.name == self.name else f"{self.path} ({self.name})"


def read_tables(path: str | PathLike[str]) -> list[SourceText]:
    """Every table in a file: the file itself, its decompressed content, or each table in a zip.

    Text is UTF-8 (a byte-order mark is dropped); files that are not UTF-8, as some
    older EVS downloads are, are read as Windows-1252.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    digest = hashlib.sha256(raw).hexdigest()
    suffix = path.suffix.lower()
    if suffix == ".zip" or zipfile.is_zipfile(path):
        return _zip_tables(path, raw, digest)
    if suffix in _DECOMPRESS:
        try:
            raw = _DECOMPRESS[suffix](raw)
        except (OSError, lzma.LZMAError, EOFError, ValueError) as exc:
            raise SourceError(f"{path} is not a valid {suffix} file: {exc}") from exc
        return [SourceText(path, path.stem, decode(raw), digest)]
    return [SourceText(path, path.name, decode(raw), digest)]


def _zip_tables(path: Path, raw: bytes, digest: str) -> list[SourceText]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()
                       and PurePosixPath(info.filename).suffix.lower() in TABLE_SUFFIXES
                       and not PurePosixPath(info.filename).name.startswith((".", "__MACOSX"))]
            tables = [SourceText(path, PurePosixPath(info.filename).name, decode(archive.read(info)), digest)
                      for info in sorted(members, key=lambda info: info.filename)]
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceError(f"{path} is not a valid zip file: {exc}") from exc
    if not tables:
        raise SourceError(f"{path} holds no table (.txt, .csv or .tsv file)")
    return tables


def decode(raw: bytes) -> str:
    """Bytes of a published table as text: UTF-8 with or without a BOM, else Windows-1252."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")

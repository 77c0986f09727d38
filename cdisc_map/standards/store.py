"""The compact form installed standards are kept in: versioned, gzip-compressed JSON.

A published CT package is 13 MB of text that takes seconds to parse and check; the
installed form is the checked result, rows as arrays instead of objects, which a fresh
process reads in a fraction of a second. JSON rather than pickle because the standards
home may be a shared folder: reading it must never run code, and a file written by one
version of cdisc-map is either read correctly by another or refused by its format
version, never misread. Writes are atomic (a temporary file renamed over the target)
and deterministic (no timestamp in the gzip header, keys sorted), so installing the same
files twice gives the same bytes.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
import zlib
from pathlib import Path
from typing import Any

from cdisc_map.core.problems import CdiscMapError

FORMAT_VERSION = 1


class StoreError(CdiscMapError, ValueError):
    """An installed standards file that is damaged or written in a format this version cannot read."""


def encode_json(document: dict[str, Any], *, compress: bool) -> bytes:
    """The bytes `write_json` writes: the same document always gives the same bytes."""
    data = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return gzip.compress(data, compresslevel=6, mtime=0) if compress else data


def write_json(path: Path, document: dict[str, Any], *, compress: bool) -> bytes:
    """Write `document` atomically; returns the bytes written (so callers can hash them)."""
    data = encode_json(document, compress=compress)
    write_bytes_atomically(path, data)
    return data


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """The file is either its old content or all of `data`, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private; a shared home must be readable
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def read_json(path: Path, kind: str) -> dict[str, Any]:
    """Read a document written by `write_json` and check it is a `kind` document we can read."""
    try:
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        document = json.loads(data)
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except (EOFError, zlib.error, gzip.BadGzipFile, ValueError) as exc:
        raise StoreError(f"{path} is damaged ({exc}); import the standard again to replace it") from exc
    if not isinstance(document, dict) or document.get("kind") != kind:
        raise StoreError(f"{path} is not an installed {kind} file")
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        raise StoreError(f"{path} is in store format {version}, this cdisc-map reads format {FORMAT_VERSION}; "
                         "import the standard again with this version")
    return document

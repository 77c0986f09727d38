"""The whole output tree of a run, swapped in at once: the previous tree or the new one.

SDTM, ADaM, their define files and the validation report of one run belong together: a
reviewer, a zip of `m5/` for submission or the next step of a pipeline must never meet
an SDTM package of this run beside the ADaM package of the last. So a run writes its
whole tree into a staging folder beside OUT (same parent, so the same filesystem), puts
a manifest of every file's SHA-256 there last (`SHA256SUMS`, the format `sha256sum -c`
reads), and swaps it with OUT in one atomic step: `renameat2(RENAME_EXCHANGE)` on Linux,
`renamex_np(RENAME_SWAP)` on macOS. Elsewhere, or on a filesystem that cannot exchange,
two renames are used, and for the instant between them OUT is missing (never mixed); a
run killed there is repaired by the next, which puts the previous tree back first.

OUT belongs to cdisc-map: a run replaces it whole. A folder holding files that no run
wrote (no manifest) is refused rather than deleted.

Leftovers of a killed run (its staging folder, or the old tree it was about to delete)
are named `.<OUT name>.cdisc-map-<pid>-<token>` beside OUT, never inside it, and the next
run removes them. A live run holds an advisory lock (flock) on its staging folder, so a
second run into the same OUT never removes the folder the first is writing.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import secrets
import shutil
import sys
from pathlib import Path
from types import TracebackType

from cdisc_map.core.checkpoints import checkpoint
from cdisc_map.core.problems import InputError, Problem

try:  # advisory locks: POSIX only; elsewhere a leftover is told apart by its process id alone
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

MANIFEST = "SHA256SUMS"
LEFTOVER_MARK = ".cdisc-map-"
_OLD_SUFFIX = ".old"
_CHUNK = 1 << 20


class OutputTree:
    """Build a run's output tree in staging and swap it in whole.

        with OutputTree(out) as tree:
            ...write everything under tree.staging...
            tree.commit()

    Leaving the block without `commit()` (an error, Ctrl-C) removes the staging folder
    and leaves OUT as it was.
    """

    def __init__(self, out: str | os.PathLike) -> None:
        self.out = Path(os.path.abspath(out))
        if self.out.is_symlink():
            self.out = self.out.resolve()
        self.staging = self.out.parent / f".{self.out.name}{LEFTOVER_MARK}{os.getpid()}-{secrets.token_hex(4)}"
        self.committed = False
        self._lock: int | None = None

    # --- before the run: is OUT ours to replace? ----------------------------------------

    def check(self) -> None:
        """Refuse an OUT that a run must not replace; raise InputError saying why and what to do."""
        out = self.out
        if out.parent == out:
            raise _refused(out, "is the root of the filesystem", "give a folder of its own for the output tree")
        if out.exists() and not out.is_dir():
            raise _refused(out, "is a file, not a folder",
                           "give a folder for the output tree (it is created when missing)")
        if not out.is_dir():
            return
        here = Path.cwd().resolve()
        if here == out or out in here.parents:
            raise _refused(out, "holds the current folder, and a run replaces it whole",
                           "run from another folder, or choose another --out")
        if not (out / MANIFEST).is_file() and any(out.iterdir()):
            raise _refused(out, f"holds files that no cdisc-map run wrote (it has no {MANIFEST})",
                           "a run replaces OUT whole: give a new or empty folder, or remove this one first")

    def __enter__(self) -> OutputTree:
        self.check()
        try:
            self.out.parent.mkdir(parents=True, exist_ok=True)
            self.remove_leftovers()
            self.staging.mkdir()
        except OSError as exc:
            raise _refused(self.out, f"cannot be written in {self.out.parent}: {exc.strerror or exc}",
                           "check that the folder exists and that you may write in it, or choose another --out"
                           ) from exc
        self._lock = _lock(self.staging)
        return self

    def remove_leftovers(self) -> list[Path]:
        """Remove what killed runs left beside OUT; put back a previous tree caught between two renames."""
        removed = []
        prefix = f".{self.out.name}{LEFTOVER_MARK}"
        leftovers = sorted(p for p in self.out.parent.iterdir() if p.name.startswith(prefix) and p != self.staging)
        for path in leftovers:
            if not _abandoned(path):
                continue
            if path.name.endswith(_OLD_SUFFIX) and not self.out.exists() and (path / MANIFEST).is_file():
                os.rename(path, self.out)  # the fallback swap died between its two renames
                continue
            _remove(path)
            removed.append(path)
        return removed

    # --- after the run: manifest, swap ---------------------------------------------------

    def commit(self) -> list[Path]:
        """Write the manifest, swap the staging tree in as OUT and remove the previous tree.

        Returns the files of the new tree (manifest last), as paths under OUT.
        """
        files = write_manifest(self.staging)
        checkpoint("manifest written")
        _sync_directory(self.staging)
        if self.out.exists():
            if _exchange(self.staging, self.out):
                self.committed = True
                checkpoint("swapped")
                _remove(self.staging)  # the previous tree, now under the staging name
            else:
                retired = self.staging.with_name(self.staging.name + _OLD_SUFFIX)
                os.rename(self.out, retired)
                checkpoint("previous tree moved aside")
                os.rename(self.staging, self.out)
                self.committed = True
                checkpoint("swapped")
                _remove(retired)
        else:
            os.rename(self.staging, self.out)
            self.committed = True
            checkpoint("swapped")
        _sync_directory(self.out.parent)
        checkpoint("previous tree removed")
        return [self.out / relative for relative in files]

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if not self.committed:
            _remove(self.staging)
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


def write_manifest(folder: Path) -> list[str]:
    """`folder/SHA256SUMS`: one `<sha256>  <path>` line per file, paths relative and sorted.

    Each file is flushed to disk as it is hashed, so the tree that is swapped in is on
    disk, not only in the page cache. Returns the relative paths, the manifest last.
    """
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)
    lines = [f"{_digest(folder / relative)}  {relative}\n" for relative in files]
    temporary = folder / f".{MANIFEST}.{secrets.token_hex(4)}.tmp"  # replaced whole: a tree may be re-listed
    try:
        with open(temporary, "w", encoding="utf-8", newline="\n") as manifest:
            manifest.writelines(lines)
            manifest.flush()
            os.fsync(manifest.fileno())
        os.replace(temporary, folder / MANIFEST)
    finally:
        temporary.unlink(missing_ok=True)
    return files + [MANIFEST]


def read_manifest(folder: Path) -> dict[str, str]:
    """The manifest of an OUT tree: relative path -> SHA-256 (empty when there is none)."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return {}
    digests = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        digest, _, relative = line.partition("  ")
        digests[relative] = digest
    return digests


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            sha.update(chunk)
        os.fsync(stream.fileno())
    return sha.hexdigest()


def _refused(path: Path, what: str, hint: str) -> InputError:
    return InputError([Problem(f"the output folder {what}", file=str(path), hint=hint)])


def _lock(folder: Path) -> int | None:
    """Hold an exclusive advisory lock on `folder` for as long as this run lives."""
    if fcntl is None:  # pragma: no cover - Windows
        return None
    handle = os.open(folder, os.O_RDONLY)
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return handle


def _abandoned(path: Path) -> bool:
    """True when no live run owns the leftover `path` (its lock is free and its process gone)."""
    pid_text = path.name.rsplit(LEFTOVER_MARK, 1)[-1].split("-", 1)[0]
    if pid_text.isdigit() and _alive(int(pid_text)):
        return False
    if fcntl is None or not path.is_dir() or path.is_symlink():  # pragma: no cover - Windows
        return True
    try:
        handle = os.open(path, os.O_RDONLY)
    except OSError:
        return True
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        os.close(handle)
    return True


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # an earlier process had our id; this one names its staging itself
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    except OSError:  # pragma: no cover - Windows: os.kill(pid, 0) is no probe there
        return False
    return True


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def _sync_directory(folder: Path) -> None:
    """Make the renames in `folder` durable (a no-op where directories cannot be opened)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows
        return
    try:
        os.fsync(handle)
    except OSError:  # pragma: no cover - filesystems that refuse fsync on a directory
        pass
    finally:
        os.close(handle)


# --- the atomic exchange of two paths ----------------------------------------------------

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2  # linux/fs.h
_RENAME_SWAP = 2  # macOS sys/stdio.h
_NOT_SUPPORTED = {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV}


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover - no C library to load (Windows)
        return None


_LIBC = _libc()


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically; False when this system or filesystem cannot."""
    if _LIBC is None:  # pragma: no cover - Windows
        return False
    a, b = os.fsencode(first), os.fsencode(second)
    if sys.platform.startswith("linux") and hasattr(_LIBC, "renameat2"):
        result = _LIBC.renameat2(_AT_FDCWD, a, _AT_FDCWD, b, _RENAME_EXCHANGE)
    elif sys.platform == "darwin" and hasattr(_LIBC, "renamex_np"):  # pragma: no cover - macOS
        result = _LIBC.renamex_np(a, b, _RENAME_SWAP)
    else:  # pragma: no cover - other systems
        return False
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in _NOT_SUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(second))

"""Fetching CDISC CT releases from NCI EVS, where the network allows it.

NCI EVS publishes every CT release under its FTP-over-HTTPS tree,
https://evs.nci.nih.gov/ftp1/CDISC/: `SDTM/Archive/SDTM Terminology 2025-03-28.txt`, and
the same for ADaM and Define-XML. `download_ct` fetches the files of one release (the
newest in the SDTM archive listing when no release is named), keeps them under the
standards home's `downloads/` with their SHA-256, and installs them as `standards import`
would. The base URL can be changed (`--base-url`, `$CDISC_MAP_CT_URL`), for a mirror or
a test server. Without a network it fails at once (a short timeout) and says how to
import a file downloaded elsewhere.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import re
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urljoin

from cdisc_map.core.problems import CdiscMapError
from cdisc_map.standards.home import StandardsHome
from cdisc_map.standards.install import ImportReport, import_standards

DEFAULT_BASE_URL = "https://evs.nci.nih.gov/ftp1/CDISC/"
BASE_URL_VARIABLE = "CDISC_MAP_CT_URL"
PACKAGES = ("SDTM", "ADaM", "Define-XML")
DEFAULT_TIMEOUT = 10.0
_CHUNK = 1 << 16
_RELEASE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Progress = Callable[[str, int, int | None], None]  # file name, bytes so far, total (None when unknown)


class DownloadError(CdiscMapError, OSError):
    """A CT release that could not be fetched; the message says how to install it without a network."""


class NotPublishedError(DownloadError):
    """The server answered, but has no such file (HTTP 404)."""


@dataclass(frozen=True)
class Downloaded:
    package: str
    url: str
    path: Path
    size: int
    sha256: str


@dataclass
class DownloadReport:
    """What `download_ct` did: the release, files fetched, packages already installed or not published."""

    version: str
    files: list[Downloaded] = field(default_factory=list)
    already_installed: list[str] = field(default_factory=list)
    not_published: list[str] = field(default_factory=list)  # packages with no file of this release
    imported: ImportReport | None = None


def base_url(given: str | None = None) -> str:
    """The NCI EVS CDISC folder to fetch from: `given`, else `$CDISC_MAP_CT_URL`, else NCI EVS itself."""
    url = (given or os.environ.get(BASE_URL_VARIABLE, "").strip() or DEFAULT_BASE_URL)
    return url if url.endswith("/") else url + "/"


def archive_url(base: str, package: str) -> str:
    return urljoin(base, f"{quote(package)}/Archive/")


def release_file(package: str, version: str) -> str:
    """The file name NCI EVS gives a release: "SDTM Terminology 2025-03-28.txt"."""
    return f"{package} Terminology {version}.txt"


def release_url(base: str, package: str, version: str) -> str:
    return archive_url(base, package) + quote(release_file(package, version))


def latest_release(base: str, *, timeout: float = DEFAULT_TIMEOUT) -> str:
    """The newest SDTM CT release in the archive listing (its HTML index page)."""
    url = archive_url(base, "SDTM")
    page = _fetch_text(url, timeout)
    dates = re.findall(r"SDTM(?:%20|\s|\+)Terminology(?:%20|\s|\+)(\d{4}-\d{2}-\d{2})\.txt", page)
    if not dates:
        raise DownloadError(f"the listing at {url} names no SDTM CT release; give the release, "
                            "e.g. `cdisc-map ct download 2025-03-28`")
    return max(dates)


def download_ct(version: str | None = None, packages: Sequence[str] = PACKAGES, *,
                home: StandardsHome | None = None, base: str | None = None, timeout: float = DEFAULT_TIMEOUT,
                progress: Progress | None = None, force: bool = False) -> DownloadReport:
    """Fetch the CT files of release `version` (None: the newest) and install them.

    A package already installed at that release is not fetched again unless `force`.
    SDTM must be published for the release; ADaM and Define-XML CT are not released every
    quarter, so a release they lack is noted in `not_published`, not an error.
    """
    home = home or StandardsHome.default()
    base = base_url(base)
    if version is not None and not _RELEASE.match(version):
        raise DownloadError(f"{version!r} is not a CT release date; write it as YYYY-MM-DD, e.g. 2025-03-28")
    try:
        version = version or latest_release(base, timeout=timeout)
    except DownloadError as exc:
        raise DownloadError(offline_message(base, "SDTM", None, exc)) from exc
    report = DownloadReport(version=version)
    folder = home.downloads()
    for package in packages:
        if not force and home.find("ct", package, version) is not None:
            report.already_installed.append(package)
            continue
        url = release_url(base, package, version)
        try:
            report.files.append(fetch(url, folder / release_file(package, version), package, timeout=timeout,
                                      progress=progress))
        except NotPublishedError as exc:
            if package == "SDTM":
                raise DownloadError(f"{exc}; is {version} a CT release? The releases are listed at "
                                    f"{archive_url(base, 'SDTM')}") from exc
            report.not_published.append(package)
        except DownloadError as exc:
            raise DownloadError(offline_message(base, package, version, exc)) from exc
    if report.files:
        report.imported = import_standards([f.path for f in report.files], home=home,
                                           urls={f.path.name: f.url for f in report.files})
    return report


def offline_message(base: str, package: str, version: str | None, error: Exception) -> str:
    name = release_file(package, version) if version else f"{release_file(package, 'YYYY-MM-DD')}"
    return (f"{error}. Without a network, download {name!r} from {archive_url(base, package)} on a machine that "
            f"has one, then run `cdisc-map standards import {name!r}` here (it also reads the file as .zip, "
            ".gz or .xz)")


def fetch(url: str, target: Path, package: str = "", *, timeout: float = DEFAULT_TIMEOUT,
          progress: Progress | None = None) -> Downloaded:
    """Download `url` to `target` (atomically: a temporary file renamed when complete), hashing it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream, _open(url, timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            if progress:
                progress(target.name, 0, total)
            while chunk := response.read(_CHUNK):
                stream.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                if progress:
                    progress(target.name, size, total)
        if total is not None and size != total:
            raise DownloadError(f"{url}: the connection closed after {size:,} of {total:,} bytes")
        os.replace(temporary, target)
    except (TimeoutError, ConnectionError) as exc:
        Path(temporary).unlink(missing_ok=True)
        raise DownloadError(f"{url}: the download stopped after {size:,} bytes: {exc}") from exc
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Downloaded(package=package, url=url, path=target, size=size, sha256=digest.hexdigest())


def _user_agent() -> str:
    try:
        return f"cdisc-map/{importlib.metadata.version('cdisc-map')}"
    except importlib.metadata.PackageNotFoundError:  # run from a checkout that is not installed
        return "cdisc-map"


def _fetch_text(url: str, timeout: float) -> str:
    with _open(url, timeout) as response:
        return response.read().decode("utf-8", errors="replace")


def _open(url: str, timeout: float):
    request = urllib.request.Request(url, headers={"User-Agent": _user_agent()})
    try:
        return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 (the URL is http(s) by construction)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise NotPublishedError(f"{url} does not exist (HTTP 404)") from exc
        raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"cannot reach {url}: {reason}") from exc

"""`cdisc-map ct download` against a loopback HTTP server laid out as NCI EVS's FTP-over-HTTPS tree,
serving the published files of ../shared/standards/."""

import csv
import functools
import hashlib
import http.server
import io
import lzma
import socket
import threading
import time

import pytest
from click.testing import CliRunner

from cdisc_map.cli import main
from cdisc_map.standards import load_ct
from cdisc_map.standards.download import BASE_URL_VARIABLE, DownloadError, download_ct, latest_release, release_file
from cdisc_map.standards.home import StandardsHome

RELEASE = "2025-03-28"


@pytest.fixture(scope="module")
def evs_tree(shared_standards, tmp_path_factory):
    """SDTM/Archive/, ADaM/Archive/, Define-XML/Archive/ as NCI EVS names the files (tab-delimited text)."""
    root = tmp_path_factory.mktemp("evs")
    sdtm = root / "SDTM" / "Archive"
    sdtm.mkdir(parents=True)
    (sdtm / release_file("SDTM", RELEASE)).write_bytes(
        lzma.decompress((shared_standards / f"sdtm-ct-{RELEASE}.txt.xz").read_bytes()))
    for package, name in (("ADaM", "adam"), ("Define-XML", "define-xml")):
        folder = root / package / "Archive"
        folder.mkdir(parents=True)
        rows = csv.reader(io.StringIO((shared_standards / f"{name}-ct-{RELEASE}.csv").read_text("utf-8-sig")))
        text = "".join("\t".join(row) + "\n" for row in rows)
        (folder / release_file(package, RELEASE)).write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def server(evs_tree):
    handler = functools.partial(Quiet, directory=str(evs_tree))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


def test_download_fetches_checks_records_and_installs(server, evs_tree, tmp_path):
    home = StandardsHome(tmp_path / "home")
    seen = []
    report = download_ct(RELEASE, home=home, base=server, progress=lambda name, done, total: seen.append(
        (name, done, total)))
    assert [f.package for f in report.files] == ["SDTM", "ADaM", "Define-XML"]
    sdtm = report.files[0]
    published = evs_tree / "SDTM" / "Archive" / release_file("SDTM", RELEASE)
    assert sdtm.sha256 == hashlib.sha256(published.read_bytes()).hexdigest()
    assert sdtm.url == f"{server}SDTM/Archive/SDTM%20Terminology%20{RELEASE}.txt"
    assert seen[0][1] == 0 and seen[-1][1] == seen[-1][2]  # progress from 0 to the whole of the last file
    entry = home.find("ct", "SDTM", RELEASE)
    assert entry.sources[0] == {"file": published.name, "sha256": sdtm.sha256, "url": sdtm.url}
    assert load_ct(RELEASE, home=home).term_count() == 43698
    again = download_ct(RELEASE, home=home, base=server)
    assert again.files == [] and again.already_installed == ["SDTM", "ADaM", "Define-XML"]


def test_the_newest_release_is_read_from_the_archive_listing(server, tmp_path):
    assert latest_release(server) == RELEASE
    report = download_ct(None, ["Define-XML"], home=StandardsHome(tmp_path / "home"), base=server)
    assert report.version == RELEASE and [f.package for f in report.files] == ["Define-XML"]


def test_a_package_without_that_release_is_noted_not_fatal(server, evs_tree, tmp_path):
    moved = evs_tree / "ADaM" / "Archive" / release_file("ADaM", RELEASE)
    hidden = moved.rename(moved.with_suffix(".hidden"))
    try:
        report = download_ct(RELEASE, ["ADaM", "Define-XML"], home=StandardsHome(tmp_path / "home"), base=server)
    finally:
        hidden.rename(moved)
    assert report.not_published == ["ADaM"] and [f.package for f in report.files] == ["Define-XML"]
    with pytest.raises(DownloadError, match="is 2019-01-01 a CT release"):
        download_ct("2019-01-01", home=StandardsHome(tmp_path / "home"), base=server)


def test_without_a_network_it_fails_at_once_and_says_how_to_import(tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.perf_counter()
    with pytest.raises(DownloadError) as caught:
        download_ct(RELEASE, home=StandardsHome(tmp_path / "home"), base=f"http://127.0.0.1:{port}/", timeout=2)
    assert time.perf_counter() - started < 5  # not a hang: the connection is refused
    message = str(caught.value)
    assert "cannot reach" in message and "cdisc-map standards import 'SDTM Terminology 2025-03-28.txt'" in message
    assert not (tmp_path / "home" / "ct").exists()


def test_cli_download_uses_the_base_url_variable(server, tmp_path, monkeypatch):
    monkeypatch.setenv(BASE_URL_VARIABLE, server)
    home = tmp_path / "home"
    result = CliRunner().invoke(main, ["ct", "download", RELEASE, "--package", "define-xml", "--standards", str(home)])
    assert result.exit_code == 0, result.output
    assert "sha256" in result.output and "installed  Define-XML CT 2025-03-28  15 codelists, 88 terms" in result.output
    monkeypatch.setenv(BASE_URL_VARIABLE, "http://127.0.0.1:9/")
    failed = CliRunner().invoke(main, ["ct", "download", "2025-06-27", "--standards", str(home), "--timeout", "2"])
    assert failed.exit_code == 1 and "standards import" in failed.output and "Traceback" not in failed.output

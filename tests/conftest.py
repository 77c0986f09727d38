"""Fixtures shared by the tests.

Every test runs with an empty standards home ($CDISC_MAP_HOME), so what a developer has
installed never changes a result; tests of installed standards import the published files
of ../shared/standards/ into a home of their own (`standards_home`), once per session.
The bundled study is converted once per test run (`bundled_run`, through the CLI, with
SOURCE_DATE_EPOCH set) and its SDTM built in memory once (`bundled_sdtm`): tests that
only read what a run gives share them, so the suite pays for a conversion once.
The validator tests share a synthetic clean package built once per module, and a
fresh copy of it (whole OUT tree, SDTM folder or ADaM folder) for each test to damage.
They copy the same small package hundreds of times and damage one file of it; reading
an XPT file costs pyreadstat tens of milliseconds however small it is, so the files the
validator and the sample's define.xml writer read are memoised by their bytes (a
damaged copy has other bytes, and is read again).
"""

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import test_validate_sample
from click.testing import CliRunner
from test_validate_sample import adam_folder, clean_package, sdtm_folder

import cdisc_map.validate.loader
from cdisc_map.cli import main
from cdisc_map.io.xpt import read_xpt
from cdisc_map.sdtm.build import build_sdtm
from cdisc_map.spec.check import load_study
from cdisc_map.standards.home import HOME_VARIABLE, StandardsHome
from cdisc_map.standards.install import import_standards

ROOT = Path(__file__).resolve().parent.parent
BUNDLED_STUDY = ROOT / "mappings" / "nct06111625"
#: The SOURCE_DATE_EPOCH of the shared run: 2026-01-01T00:00:00Z.
EPOCH = "1767225600"
PACKAGES = Path("m5") / "datasets" / "nct06111625"
SHARED_STANDARDS = ROOT.parent / "shared" / "standards"

_READ: dict[tuple[bytes, str | None], tuple] = {}


def read_xpt_by_content(path, *, encoding=None):
    key = (hashlib.sha1(Path(path).read_bytes()).digest(), encoding)
    if key not in _READ:
        _READ[key] = read_xpt(path, encoding=encoding)
    frame, meta = _READ[key]
    return frame.copy(), meta


@pytest.fixture(autouse=True)
def memoised_xpt_reads(monkeypatch):
    monkeypatch.setattr(cdisc_map.validate.loader, "read_xpt", read_xpt_by_content)
    monkeypatch.setattr(test_validate_sample, "read_xpt", read_xpt_by_content)


@pytest.fixture(autouse=True, scope="session")
def empty_standards_home(tmp_path_factory):
    """$CDISC_MAP_HOME points at an empty folder for the whole session."""
    before = os.environ.get(HOME_VARIABLE)
    os.environ[HOME_VARIABLE] = str(tmp_path_factory.mktemp("empty-standards-home"))
    yield Path(os.environ[HOME_VARIABLE])
    if before is None:
        os.environ.pop(HOME_VARIABLE, None)
    else:
        os.environ[HOME_VARIABLE] = before


@pytest.fixture(scope="session")
def shared_standards() -> Path:
    """../shared/standards/: the published CT and IG files (third-party, never copied into the repository)."""
    if not (SHARED_STANDARDS / "sdtm-ct-2025-03-28.txt.xz").is_file():
        pytest.skip(f"the published standards files are not in {SHARED_STANDARDS} "
                    "(the project's shared folder holds them; see its README)")
    return SHARED_STANDARDS


@pytest.fixture(scope="session")
def standards_home(shared_standards, tmp_path_factory) -> StandardsHome:
    """A standards home with everything in ../shared/standards/ installed, by `standards import` itself."""
    home = StandardsHome(tmp_path_factory.mktemp("standards-home"))
    import_standards([shared_standards], home=home)
    return home


@dataclass(frozen=True)
class Run:
    """One `cdisc-map run` of the bundled study: its OUT tree and what it printed."""

    out: Path
    output: str

    @property
    def sdtm(self) -> Path:
        return self.out / PACKAGES / "tabulations" / "sdtm"

    @property
    def adam(self) -> Path:
        return self.out / PACKAGES / "analysis" / "adam" / "datasets"


@pytest.fixture(scope="session")
def bundled_run(tmp_path_factory) -> Run:
    """The bundled study converted once, read-only for the tests that share it."""
    out = tmp_path_factory.mktemp("bundled") / "out"
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        result = CliRunner().invoke(main, ["run", "--out", str(out)])
    finally:
        if before is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before
    assert result.exit_code == 0, result.output
    return Run(out, result.output)


@pytest.fixture(scope="session")
def bundled_out(bundled_run) -> Path:
    """The OUT tree of the shared run; read it, never change it."""
    return bundled_run.out


@pytest.fixture(scope="session")
def bundled_sdtm() -> dict[str, pd.DataFrame]:
    """The bundled study's SDTM datasets as built in memory (no file written), by name."""
    study = load_study(BUNDLED_STUDY)
    result = build_sdtm(study, study.default_raw_dir())
    assert not result.errors, result.errors
    return {name: dataset.frame for name, dataset in result.datasets.items()}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    return clean_package(tmp_path_factory.mktemp("clean"))


@pytest.fixture
def root(pristine: Path, tmp_path: Path) -> Path:
    shutil.copytree(pristine, tmp_path / "out")
    return tmp_path / "out"


@pytest.fixture
def sdtm(root: Path) -> Path:
    return sdtm_folder(root)


@pytest.fixture
def adam(root: Path) -> Path:
    return adam_folder(root)

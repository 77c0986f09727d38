"""Fixtures shared by the tests.

The bundled study is converted once per test run (`bundled_run`, through the CLI, with
SOURCE_DATE_EPOCH set) and its SDTM built in memory once (`bundled_sdtm`): tests that
only read what a run gives share them, so the suite pays for a conversion once.
The validator tests share a synthetic clean package built once per module, and a
fresh copy of it (whole OUT tree, SDTM folder or ADaM folder) for each test to damage.
"""

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from test_validate_sample import adam_folder, clean_package, sdtm_folder

from cdisc_map.cli import main
from cdisc_map.sdtm.build import build_sdtm
from cdisc_map.spec.check import load_study

ROOT = Path(__file__).resolve().parent.parent
BUNDLED_STUDY = ROOT / "mappings" / "nct06111625"
#: The SOURCE_DATE_EPOCH of the shared run: 2026-01-01T00:00:00Z.
EPOCH = "1767225600"
PACKAGES = Path("m5") / "datasets" / "nct06111625"


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

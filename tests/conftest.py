"""Fixtures shared by the validator tests: a clean package built once per module, and a
fresh copy of it (whole OUT tree, SDTM folder or ADaM folder) for each test to damage;
and the bundled study's run, once per session, for the tests that only read it."""

import shutil
from pathlib import Path

import pytest
from test_validate_sample import adam_folder, clean_package, sdtm_folder

from cdisc_map.pipeline import run_study

BUNDLED_STUDY = Path(__file__).resolve().parent.parent / "mappings" / "nct06111625"


@pytest.fixture(scope="session")
def bundled_out(tmp_path_factory) -> Path:
    """The OUT tree of `cdisc-map run` on the bundled study; read it, never change it."""
    out = tmp_path_factory.mktemp("bundled")
    run_study(BUNDLED_STUDY, out_dir=out)
    return out


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

"""Fixtures shared by the validator tests: a clean package built once per module, and a
fresh copy of it (whole OUT tree, SDTM folder or ADaM folder) for each test to damage."""

import shutil
from pathlib import Path

import pytest
from test_validate_sample import adam_folder, clean_package, sdtm_folder


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

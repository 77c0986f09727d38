"""Fixtures shared by the validator tests: a clean package built once per module, and a
fresh copy of it (whole OUT tree, SDTM folder or ADaM folder) for each test to damage.

The validator tests copy the same small package hundreds of times and damage one file
of it; reading an XPT file costs pyreadstat tens of milliseconds however small it is,
so the files the validator and the sample's define.xml writer read are memoised by
their bytes (a damaged copy has other bytes, and is read again).
"""

import hashlib
import shutil
from pathlib import Path

import pytest
import test_validate_sample
from test_validate_sample import adam_folder, clean_package, sdtm_folder

import cdisc_map.validate.loader
from cdisc_map.io.xpt import read_xpt

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

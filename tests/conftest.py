"""Fixtures shared by the tests.

Every test runs with an empty standards home ($CDISC_MAP_HOME), so what a developer has
installed never changes a result; tests of installed standards import the published files
of ../shared/standards/ into a home of their own (`standards_home`), once per session.
The validator tests get a clean package built once per module, and a fresh copy of it
(whole OUT tree, SDTM folder or ADaM folder) for each test to damage.
"""

import os
import shutil
from pathlib import Path

import pytest
from test_validate_sample import adam_folder, clean_package, sdtm_folder

from cdisc_map.standards.home import HOME_VARIABLE, StandardsHome
from cdisc_map.standards.install import import_standards

SHARED_STANDARDS = Path(__file__).resolve().parent.parent.parent / "shared" / "standards"


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

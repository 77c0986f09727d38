"""The wheel is the product: built with `python -m build`, installed into a fresh venv,
and run from a folder that is no checkout.

One build (sdist, then the wheel from the sdist, as `python -m build` does) and one venv
per test session. The venv has no system site-packages and gets the wheel and its
dependencies from pip (which finds them in its cache, the local index or PyPI); pip is
the one of the test's own interpreter (`pip --python`), so the venv needs no pip of its
own, and nothing is byte-compiled, which keeps the install to seconds.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from conftest import EPOCH

ROOT = Path(__file__).resolve().parent.parent


def ours(output: str) -> list[str]:
    """The warning lines of an install, less pip's notes on this machine's configured package indexes."""
    return [line for line in output.splitlines()
            if "warn" in line.lower() and not line.startswith("WARNING: Location 'file://")]


def digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def installed(tmp_path_factory) -> Path:
    """The bin folder of a fresh venv with the wheel built from this checkout installed."""
    work = tmp_path_factory.mktemp("wheel")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    built = subprocess.run([sys.executable, "-m", "build", "--outdir", str(work / "dist"), str(ROOT)],
                           capture_output=True, text=True, env=env)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    assert ours(built.stdout + built.stderr) == [], "building prints warnings of ours"
    wheel, = (work / "dist").glob("cdisc_map-*.whl")
    target = work / "venv"
    venv.create(target, with_pip=False, system_site_packages=False)
    python = target / "bin" / "python"
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-compile",
                              "--disable-pip-version-check", str(wheel)], capture_output=True, text=True)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    assert ours(install.stdout + install.stderr) == [], "installing prints warnings of ours"
    return target / "bin"


def cdisc_map(bin: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["SOURCE_DATE_EPOCH"] = EPOCH
    return subprocess.run([str(bin / "cdisc-map"), *args], cwd=cwd, capture_output=True, text=True, env=env)


def test_the_installed_wheel_converts_its_bundled_study_from_any_folder(installed, bundled_run, tmp_path):
    where = subprocess.run([str(installed / "python"), "-c", "import cdisc_map; print(cdisc_map.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert str(ROOT) not in where and "site-packages" in where  # the installed copy, not this checkout

    done = cdisc_map(installed, "run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Wrote 18 datasets to cdisc-map-out" in done.stdout.splitlines()[-1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cdisc-map-out"]
    # the same bytes as the run of this checkout (same SOURCE_DATE_EPOCH): nothing depends on where it lives
    assert digests(tmp_path / "cdisc-map-out") == digests(bundled_run.out)
    if shutil.which("sha256sum"):
        subprocess.run(["sha256sum", "--check", "--quiet", "SHA256SUMS"], cwd=tmp_path / "cdisc-map-out", check=True)


def test_init_copies_the_bundled_study_out_and_the_copy_runs(installed, tmp_path):
    copied = cdisc_map(installed, "init", "mystudy", cwd=tmp_path)
    assert copied.returncode == 0, copied.stderr
    study = tmp_path / "mystudy"
    assert (study / "study.yaml").is_file() and (study / "raw" / "dm.csv").is_file()
    assert sorted(p.name for p in (study / "sdtm").iterdir()) == [
        "ae.yaml", "cm.yaml", "dm.yaml", "ds.yaml", "ex.yaml", "ie.yaml", "pr.yaml", "rs.yaml", "ta.yaml", "te.yaml",
        "ti.yaml", "ts.yaml", "tv.yaml"]
    assert cdisc_map(installed, "check-spec", "mystudy", cwd=tmp_path).returncode == 0
    done = cdisc_map(installed, "run", "mystudy", "--out", "out", "--fail-on", "warning", cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # the mapping's two warnings fail --fail-on warning
    assert "Failed: validation found 0 errors, 2 warnings" in done.stdout.splitlines()[-1]
    assert (tmp_path / "out" / "validation" / "report.json").is_file()  # written all the same
    again = cdisc_map(installed, "init", "mystudy", cwd=tmp_path)
    assert again.returncode == 2 and "not empty" in again.stderr

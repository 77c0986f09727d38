"""The study folders shipped inside the package, and copying one out to start from.

`cdisc-map run` with no STUDY_DIR converts the bundled study and `cdisc-map init DIR`
copies one out to edit. Both must work from an installed wheel in any folder, so the
studies are package data found through importlib.resources, never a path relative to a
source checkout. Each study is a folder of `cdisc_map/studies/` holding `study.yaml`,
its `sdtm/` and `adam/` specs and its raw export in `raw/`.
"""

from __future__ import annotations

import os
import secrets
import shutil
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from cdisc_map.core.problems import Problem, ProblemsError
from cdisc_map.core.text import did_you_mean

DEFAULT_STUDY = "nct06111625"


def studies_root() -> Traversable:
    """The folder of the bundled studies, wherever the package is installed."""
    return resources.files("cdisc_map").joinpath("studies")


def bundled_studies() -> list[str]:
    """The ids of the bundled studies (their folder names), sorted."""
    root = studies_root()
    if not root.is_dir():
        return []
    return sorted(entry.name for entry in root.iterdir()
                  if entry.is_dir() and entry.joinpath("study.yaml").is_file())


def bundled_study_resource(study_id: str | None = None) -> Traversable:
    """The bundled study `study_id` (default: the only one, else nct06111625) as a resource folder."""
    available = bundled_studies()
    if not available:
        raise ProblemsError([Problem("this installation of cdisc-map holds no bundled study",
                                     file=str(studies_root()),
                                     hint="reinstall cdisc-map from its wheel, or give STUDY_DIR")])
    if study_id is None:
        study_id = available[0] if len(available) == 1 else DEFAULT_STUDY
    chosen = study_id.lower()
    if chosen not in available:
        hint = did_you_mean(chosen, available) or f"the bundled studies are: {', '.join(available)}"
        raise ProblemsError([Problem("no bundled study has this id", value=study_id, hint=hint)])
    return studies_root().joinpath(chosen)


def bundled_study(study_id: str | None = None) -> Path:
    """The bundled study's folder on disk, to read in place.

    Installed from a wheel the package is a folder; from a zip archive (zipapp,
    zipimport) it is not, and the study must be copied out first.
    """
    resource = bundled_study_resource(study_id)
    folder = Path(str(resource))
    if not isinstance(resource, Path) or not (folder / "study.yaml").is_file():
        raise ProblemsError([Problem("the bundled study is inside an archive and cannot be read in place",
                                     file=str(resource),
                                     hint="copy it out with `cdisc-map init DIR`, then run `cdisc-map run DIR`")])
    return folder


def copy_study(resource: Traversable, target: Path) -> list[Path]:
    """Copy a study folder to `target`, which must not exist or be empty; all files or none.

    The copy is made in a hidden folder beside `target` and renamed into place, so an
    interrupted copy leaves no half study behind.
    """
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        what = "a file" if not target.is_dir() else "a folder that is not empty"
        raise ProblemsError([Problem(f"the target is {what}", file=str(target),
                                     hint="name a new or empty folder; nothing was copied")])
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.init-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        written = _copy_tree(resource, staging, target)
        if target.exists():
            target.rmdir()  # empty, checked above
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written


def _copy_tree(source: Traversable, folder: Path, final: Path) -> list[Path]:
    folder.mkdir()
    written = []
    for entry in sorted(source.iterdir(), key=lambda e: e.name):
        if entry.name.startswith((".", "__")):
            continue
        if entry.is_dir():
            written += _copy_tree(entry, folder / entry.name, final / entry.name)
        else:
            (folder / entry.name).write_bytes(entry.read_bytes())
            written.append(final / entry.name)
    return written

"""Write a package folder of datasets (XPT, Dataset-JSON or both), all or nothing.

The datasets are written into a staging folder beside the target and swapped in
only when every file is complete, so a failed or interrupted run never leaves a
package mixing old and new files, and the previous package stays whole until the
new one replaces it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from cdisc_map.core.checkpoints import checkpoint
from cdisc_map.core.problems import Problem, ProblemsError
from cdisc_map.core.text import did_you_mean
from cdisc_map.io.datasetjson import Context, write_dataset_json
from cdisc_map.io.xpt import build_timestamp, write_xpt

#: The dataset file formats a package can hold, by the suffix of their files.
DATASET_FORMATS = {"xpt": ".xpt", "json": ".json", "ndjson": ".ndjson"}
DEFAULT_FORMATS = ("xpt",)


def sdtm_folder(out: Path, study_id: str) -> Path:
    """OUT/m5/datasets/<studyid>/tabulations/sdtm (the eCTD layout of design.md)."""
    return Path(out) / "m5" / "datasets" / study_id.lower() / "tabulations" / "sdtm"


def adam_folder(out: Path, study_id: str) -> Path:
    """OUT/m5/datasets/<studyid>/analysis/adam/datasets (the eCTD layout of design.md)."""
    return Path(out) / "m5" / "datasets" / study_id.lower() / "analysis" / "adam" / "datasets"


def check_formats(formats: list[str] | tuple[str, ...], where: str | None = None) -> tuple[str, ...]:
    """The dataset formats asked for, each once, in order; unknown names are a ProblemsError."""
    problems = [Problem(f"unknown dataset format {name!r}", file=where, value=str(name),
                        hint=did_you_mean(str(name), DATASET_FORMATS, list_all=True))
                for name in formats if name not in DATASET_FORMATS]
    if not formats:
        problems.append(Problem("no dataset format given", file=where,
                                hint=f"write one or more of: {', '.join(DATASET_FORMATS)}"))
    if problems:
        raise ProblemsError(problems)
    return tuple(dict.fromkeys(formats))


def primary_format(formats: tuple[str, ...]) -> str:
    """The format define.xml points at: XPT when written (what FDA takes), else the first."""
    return "xpt" if "xpt" in formats else formats[0]


def write_package(
    datasets: list,
    target: Path,
    created: datetime | None = None,
    extra: Callable[[Path, datetime], None] | None = None,
    formats: tuple[str, ...] = DEFAULT_FORMATS,
    context: Context | None = None,
) -> list[Path]:
    """Write every dataset as <name>.xpt (and/or .json, .ndjson) into `target`, replacing
    what was there at once.

    `formats` names the files each dataset gets (see DATASET_FORMATS); `context` fills
    the study and define.xml attributes of Dataset-JSON files. `extra(folder, created)`
    writes the package's other files (define.xml and its stylesheet) into the staging
    folder, so they are swapped in with the data. Returns the dataset files written.
    """
    formats = check_formats(formats)
    created = created or build_timestamp()
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.staging-{os.getpid()}"
    retired = target.parent / f".{target.name}.old-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        for dataset in datasets:
            labels = {v.name: v.label for v in dataset.variables}
            display = {v.name: v.format for v in dataset.variables if getattr(v, "format", "")} or None
            for kind in formats:
                path = staging / f"{dataset.name.lower()}{DATASET_FORMATS[kind]}"
                if kind == "xpt":
                    write_xpt(dataset.frame, path, dataset=dataset.name, label=dataset.label,
                              column_labels=labels, formats=display, created=created)
                else:
                    write_dataset_json(dataset.frame, path, dataset=dataset.name, label=dataset.label,
                                       column_labels=labels, formats=display, keys=getattr(dataset, "keys", ()),
                                       created=created, context=context)
                checkpoint(f"wrote {target.name}/{path.name}")
        if extra is not None:
            extra(staging, created)
            checkpoint(f"wrote {target.name}/define.xml")
        if target.exists():
            target.rename(retired)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if retired.exists() and not target.exists():
            retired.rename(target)
        raise
    shutil.rmtree(retired, ignore_errors=True)
    suffixes = {DATASET_FORMATS[kind] for kind in formats}
    return sorted(path for path in target.iterdir() if path.suffix in suffixes)

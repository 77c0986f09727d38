"""Write a package folder of XPT files, all or nothing.

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
from cdisc_map.io.xpt import build_timestamp, write_xpt


def sdtm_folder(out: Path, study_id: str) -> Path:
    """OUT/m5/datasets/<studyid>/tabulations/sdtm (the eCTD layout of design.md)."""
    return Path(out) / "m5" / "datasets" / study_id.lower() / "tabulations" / "sdtm"


def adam_folder(out: Path, study_id: str) -> Path:
    """OUT/m5/datasets/<studyid>/analysis/adam/datasets (the eCTD layout of design.md)."""
    return Path(out) / "m5" / "datasets" / study_id.lower() / "analysis" / "adam" / "datasets"


def write_package(
    datasets: list,
    target: Path,
    created: datetime | None = None,
    extra: Callable[[Path, datetime], None] | None = None,
) -> list[Path]:
    """Write every dataset as <name>.xpt into `target`, replacing what was there at once.

    `extra(folder, created)` writes the package's other files (define.xml and its
    stylesheet) into the staging folder, so they are swapped in with the data.
    """
    created = created or build_timestamp()
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.staging-{os.getpid()}"
    retired = target.parent / f".{target.name}.old-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        for dataset in datasets:
            write_xpt(
                dataset.frame,
                staging / f"{dataset.name.lower()}.xpt",
                dataset=dataset.name,
                label=dataset.label,
                column_labels={v.name: v.label for v in dataset.variables},
                formats={v.name: v.format for v in dataset.variables if getattr(v, "format", "")} or None,
                created=created,
            )
            checkpoint(f"wrote {target.name}/{dataset.name.lower()}.xpt")
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
    return sorted(target.glob("*.xpt"))

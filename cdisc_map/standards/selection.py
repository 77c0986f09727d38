"""The standards one run uses, handed down as one object: a standards home and, optionally, a CT file.

`cdisc-map run`, `check-spec` and `validate` take `--standards DIR` (a standards home
instead of the default one) and `--ct FILE` (one published CT package file that wins
over whatever the home holds). The shell turns them into a `Standards`; the pipeline,
the spec checks and the validator ask it for the release a study or package names, and
never look at options or the environment themselves.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

from cdisc_map.core.problems import CdiscMapError
from cdisc_map.standards.adam_metadata import AdamStandard, load_adamig
from cdisc_map.standards.codelists import Terminology
from cdisc_map.standards.home import StandardsHome
from cdisc_map.standards.metadata import Standard, load_sdtmig
from cdisc_map.standards.terminology import load_ct, load_ct_package


class StandardsError(CdiscMapError, ValueError):
    """A standards option that cannot be used (a home folder that does not exist)."""


class Standards:
    """Where a run's standards come from: `home` (default: `StandardsHome.default()`) and an optional
    CT package file that replaces the home's CT of the same package (SDTM, ADaM, Define-XML)."""

    def __init__(self, home: StandardsHome | None = None, ct_file: str | PathLike[str] | None = None):
        self.home = home or StandardsHome.default()
        self.ct_file = Path(ct_file) if ct_file else None
        self._file_ct: Terminology | None = None

    @classmethod
    def from_options(cls, standards_dir: str | PathLike[str] | None = None,
                     ct_file: str | PathLike[str] | None = None) -> Standards:
        """From the CLI options; a `--standards DIR` that does not exist is an error, not an empty home."""
        if standards_dir is not None and not Path(standards_dir).is_dir():
            raise StandardsError(f"the standards home {standards_dir} does not exist; create it with "
                                 f"`CDISC_MAP_HOME={standards_dir} cdisc-map standards import FILE...`")
        return cls(StandardsHome(standards_dir) if standards_dir is not None else None, ct_file)

    def __repr__(self) -> str:
        extra = f", ct_file={str(self.ct_file)!r}" if self.ct_file else ""
        return f"Standards(home={str(self.home.path)!r}{extra})"

    def ct(self, version: str | None = None, package: str = "SDTM", *, fallback: bool = True) -> Terminology:
        """The CT to use for a release: the `--ct` file when it is that package, else `load_ct`
        (with `fallback` False, NotInstalledError rather than the bundled subset for a release
        the home lacks: what a validator needs for the release a package's define.xml names)."""
        if self.ct_file is not None:
            if self._file_ct is None:
                self._file_ct = load_ct_package(self.ct_file)
            if self._file_ct.package.casefold() == package.casefold():
                return self._file_ct
        return load_ct(version, package, home=self.home, fallback=fallback)

    def sdtmig(self, version: str = "3.4") -> Standard:
        return load_sdtmig(version, home=self.home)

    def adamig(self, version: str = "1.3") -> AdamStandard:
        return load_adamig(version, home=self.home)

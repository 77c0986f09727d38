"""Which standard a package follows, and which metadata the checks use for it.

A package says what it follows in its define.xml: the IG and its version (def:Standards
in 2.1, def:StandardName/StandardVersion in 2.0 and 1.0) and, in 2.1, the CT release.
Checking an SDTMIG 3.2 package against 3.4 tables, or CT 2025 against values chosen
from CT 2014, reports differences between versions as if they were defects. So the
checks run with the declared version's metadata where it is installed; where it is not,
they run with the nearest installed one, the package gets one notice saying so, and the
rules whose answer depends on the version report notices only.

`installed_sdtmig` and `installed_terminology` are the one place where installed
standards come in, through the run's `Standards`: the SDTMIG metadata and CT releases of
the standards home, a CT file given with --ct, and the bundled subsets as the last
resort (whose membership answers are notices, since a subset cannot say a value is not
in CT).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cdisc_map.standards.home import NotInstalledError
from cdisc_map.standards.metadata import Standard, available_sdtmig_versions
from cdisc_map.standards.selection import Standards
from cdisc_map.standards.terminology import Terminology
from cdisc_map.validate.loader import Package

DEFAULT_SDTMIG = "3.4"
ADAMIG_CHECKED = "1.3"  # the ADaMIG version whose requirements the ADaM rules encode
# ADaM model versions, as Define-XML 1.0 files name them, and the ADaMIG of each.
ADAM_MODEL_TO_IG = {"2.1": "1.0"}
_VERSION = re.compile(r"\d+(?:\.\d+)*")


@dataclass
class PackageStandards:
    """The metadata one package is checked with, and how far it is the declared one."""

    sdtmig: Standard
    ct: Terminology
    kind: str = "SDTM"  # or "ADaM"
    declared_ig: str | None = None  # e.g. "SDTMIG 3.1.2", as the package declares it
    used_ig: str = f"SDTMIG {DEFAULT_SDTMIG}"
    ig_exact: bool = True  # the checks run with the declared IG's metadata (or none was declared)
    declared_ct: str | None = None  # e.g. "2024-09-27"
    ct_exact: bool = True  # a full CT package of the declared release (or of any, if none declared)
    # (rule id, message, family) said once per package: "ig" notes always, "ct" notes only
    # when a terminology rule has findings (the note then explains why they are notices).
    notes: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def terminology(self) -> str:
        """What the CT is: "CDISC CT 2025-03-28 (NCI EVS)", "bundled subset 2024-09-27"."""
        return self.ct.description


def installed_sdtmig(version: str, standards: Standards) -> Standard | None:
    """The SDTMIG metadata of `version` (installed in the home, or bundled), or None."""
    if version in available_sdtmig_versions(home=standards.home):
        return standards.sdtmig(version)
    return None


def installed_terminology(release: str | None, given: Terminology | None,
                          standards: Standards, package: str = "SDTM") -> Terminology | None:
    """A full CT package: the one the caller gave, else the `--ct` file or the home's
    `release` (the newest installed where that release is not); None when there is none."""
    if given is not None:
        return given if given.is_full else None  # a subset answers "not in CT" with notices
    for version in ([release] if release else []) + [None]:
        try:
            found = standards.ct(version, package, fallback=False)
        except NotInstalledError:
            continue
        if found.is_full:
            return found
    return None


def declared_standards(package: Package) -> tuple[str | None, str | None, str | None]:
    """(IG name, IG version, CT release) as the package's define.xml declares them."""
    model = package.define_model
    if model is None:
        return None, None, None
    name = version = release = None
    for standard in model.standards:
        if (standard.type or "").upper() == "IG" and name is None:
            name, version = standard.name, standard.version
        elif (standard.type or "").upper() == "CT" and release is None \
                and (standard.publishing_set or "SDTM").upper() in ("SDTM", "ADAM"):
            release = standard.version
    return name, version, release


def resolve_standards(package: Package, *, standard: str | None = None,
                      ct: Terminology | None = None, standards: Standards | None = None) -> PackageStandards:
    """The metadata to check `package` with: `standard` ("3.2" or "SDTMIG 3.2" for SDTM
    packages, "ADaMIG 1.1" for ADaM ones) and `ct` when given, else what its define.xml
    declares, looked up in `standards` (default: `Standards()`), else the defaults."""
    standards = standards or Standards()
    name, version, release = declared_standards(package)
    kind = "ADaM" if package.datasets and all(d.is_adam for d in package.datasets.values()) else "SDTM"
    if standard and ("ADAM" in standard.upper()) == (kind == "ADaM"):
        # "3.2" and "SDTMIG 3.2" name an SDTMIG version, "ADaMIG 1.1" an ADaMIG version: each
        # overrides what the packages of its kind declare
        given = _VERSION.search(standard)
        version = given.group(0) if given else standard
        name = "ADaMIG" if kind == "ADaM" else "SDTMIG"
    notes: list[tuple[str, str, str]] = []
    if kind == "ADaM":
        declared, exact = _adam_declared(name, version)
        used = f"ADaMIG {ADAMIG_CHECKED}"
        if not exact:
            notes.append(("CM0601", f"the package declares {declared}; the ADaM rules follow "
                                    f"{used}, so its version-specific findings are notices", "ig"))
        sdtmig = standards.sdtmig(DEFAULT_SDTMIG)
    else:
        declared = f"SDTMIG {version}" if version else None
        metadata = installed_sdtmig(version, standards) if version else None
        exact = version is None or metadata is not None
        sdtmig = metadata or standards.sdtmig(DEFAULT_SDTMIG)
        used = f"SDTMIG {sdtmig.version}"
        if not exact:
            notes.append(("CM0601", f"the package declares {declared}, whose metadata is not "
                                    f"installed; checked against {used}, so findings that "
                                    "depend on the IG version are notices", "ig"))
    full = installed_terminology(release, ct, standards)
    terminology = full if full is not None else ct if ct is not None else standards.ct()
    ct_exact = full is not None and (release is None or full.version == release)
    if full is None:
        notes.append(("CM0602", "no full CDISC CT package is installed: values were checked "
                                f"against the bundled subset ({terminology.version}), so "
                                "terminology findings are notices (install the published package "
                                "with `cdisc-map ct download`, or give it with --ct)", "ct"))
    elif not ct_exact:
        notes.append(("CM0602", f"the package declares CT {release} but CT {full.version} "
                                "was loaded, so terminology findings are notices", "ct"))
    return PackageStandards(sdtmig=sdtmig, ct=terminology, kind=kind, declared_ig=declared,
                            used_ig=used if kind == "ADaM" else sdtmig.description, ig_exact=exact,
                            declared_ct=release, ct_exact=ct_exact, notes=notes)


def _adam_declared(name: str | None, version: str | None) -> tuple[str | None, bool]:
    """The ADaMIG a package declares, and whether it is the one the ADaM rules encode."""
    if not version:
        return None, True
    if (name or "").upper() == "ADAM":  # the model version (Define-XML 1.0 files)
        ig = ADAM_MODEL_TO_IG.get(version)
        declared = f"ADaM {version}" + (f" (ADaMIG {ig})" if ig else "")
        return declared, ig == ADAMIG_CHECKED
    return f"ADaMIG {version}", version == ADAMIG_CHECKED

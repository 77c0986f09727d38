"""Each package is checked with the standards it declares: where their metadata is not
installed, one notice says so and the version-specific rules report notices."""

from __future__ import annotations

from pathlib import Path

from test_validate_sample import findings_of, only, published_stand_in, rewrite, sdtm_folder

import define_xml
from cdisc_map.validate import exit_code, validate_path


def declare(folder: Path, name: str, version: str, ct: str | None = None) -> None:
    """Make the folder's define.xml declare another IG version (and a CT release)."""
    path = folder / "define.xml"
    model = define_xml.load(path)
    model.standards[0].name, model.standards[0].version = name, version
    model.standards = [s for s in model.standards if s.type != "CT"]
    if ct is not None:
        model.standards.append(define_xml.Standard("STD.CT", "CDISC/NCI", "CT", ct, publishing_set="SDTM"))
    define_xml.write_define(model, path)


def test_an_ig_version_that_is_not_installed_is_said_once_and_its_findings_are_notices(sdtm: Path):
    rewrite(sdtm, "AE", lambda f: f.drop(columns=["AETERM", "AESER"]))
    declare(sdtm, "SDTMIG", "3.2")
    report = validate_path(sdtm)
    note = only(report, "CM0601")
    assert "SDTMIG 3.2" in note.message and "SDTMIG 3.4" in note.message
    assert [(f.rule, f.severity) for f in report.findings if f.rule in ("CM0201", "CM0203")] == [
        ("CM0201", "notice"), ("CM0203", "notice")]
    assert exit_code(report) == 0
    [package] = report.packages
    assert (package.declared_standard, package.standard) == ("SDTMIG 3.2", "SDTMIG 3.4 (bundled subset)")


def test_rules_that_hold_whatever_the_version_keep_their_severity(sdtm: Path):
    rewrite(sdtm, "AE", lambda f: f.assign(AESTDY=0.0))
    declare(sdtm, "SDTMIG", "3.2")
    assert {f.severity for f in findings_of(validate_path(sdtm), "CM0210")} == {"error"}


def test_standard_overrides_what_define_xml_declares(sdtm: Path):
    rewrite(sdtm, "AE", lambda f: f.drop(columns=["AETERM"]))
    declare(sdtm, "SDTMIG", "3.2")
    report = validate_path(sdtm, standard="SDTMIG 3.4")
    assert only(report, "CM0201").severity == "error" and findings_of(report, "CM0601") == []


def test_a_declared_ct_release_other_than_the_loaded_one(sdtm: Path):
    rewrite(sdtm, "DM", lambda f: f.assign(SEX="X"))
    declare(sdtm, "SDTMIG", "3.4", ct="2025-03-28")
    report = validate_path(sdtm, ct=published_stand_in())  # a full package of another release
    assert {f.severity for f in findings_of(report, "CM0204")} == {"notice"}
    assert "declares CT 2025-03-28 but CT 2024-09-27" in only(report, "CM0602").message
    assert report.packages[0].declared_terminology == "2025-03-28"
    declare(sdtm, "SDTMIG", "3.4", ct="2024-09-27")  # the release that is loaded
    exact = validate_path(sdtm, ct=published_stand_in())
    assert {f.severity for f in findings_of(exact, "CM0204")} == {"error"}


def test_an_adam_package_of_an_older_adamig(adam: Path):
    rewrite(adam, "ADSL", lambda f: f.drop(columns=["ACTARM"]))
    declare(adam, "ADaMIG", "1.1")
    report = validate_path(adam)
    assert only(report, "CM0401").severity == "notice"
    assert "ADaMIG 1.1" in only(report, "CM0601").message


def test_an_sdtmig_version_given_does_not_apply_to_adam_packages(root: Path):
    report = validate_path(root, standard="3.4")  # as `run` passes the study's SDTMIG version
    assert report.findings == []
    assert {p.kind: p.standard for p in report.packages} == {"ADaM": "ADaMIG 1.3",
                                                             "SDTM": "SDTMIG 3.4 (bundled subset)"}
    declare(sdtm_folder(root), "SDTMIG", "3.3")
    report = validate_path(root, standard="ADaMIG 1.3")  # only the ADaM package's is given
    assert "SDTMIG 3.3" in only(report, "CM0601").message

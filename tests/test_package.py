"""Package folders in the formats a study asks for: XPT, Dataset-JSON or both, swapped in whole."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from lxml import etree

from cdisc_map.cli import main
from cdisc_map.core.problems import ProblemsError
from cdisc_map.io.datasetjson import read_dataset_json
from cdisc_map.io.package import check_formats, primary_format, write_package
from cdisc_map.pipeline import run_study
from cdisc_map.spec.check import check_study
from cdisc_map.validate import load_packages, validate_path

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "mappings" / "nct06111625"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
DEF_LEAF = "{http://www.cdisc.org/ns/def/v2.1}leaf"


def study_copy(tmp_path: Path, **output) -> Path:
    """The bundled study's specs in a folder of their own, study.yaml asking for `output`."""
    folder = tmp_path / "study"
    shutil.copytree(STUDY, folder)
    path = folder / "study.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["raw"]["dir"] = str((STUDY / data["raw"]["dir"]).resolve())
    if output:
        data["output"] = output
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return folder


def files_of(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


@pytest.fixture(scope="module")
def json_only(tmp_path_factory) -> Path:
    """The bundled study written as Dataset-JSON only, as study.yaml's output.formats asks."""
    tmp_path = tmp_path_factory.mktemp("json-only")
    out = tmp_path / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1700000000")
        run_study(study_copy(tmp_path, formats=["json"]), out_dir=out)
    return out


def test_formats_are_checked_and_ordered():
    assert check_formats(["json", "xpt", "json"]) == ("json", "xpt")
    assert primary_format(("json", "xpt")) == "xpt" and primary_format(("ndjson", "json")) == "ndjson"
    with pytest.raises(ProblemsError) as excinfo:
        check_formats(["jsn"])
    assert excinfo.value.problems[0].hint == "did you mean 'json'?"


def test_study_yaml_formats_write_dataset_json_only(json_only: Path):
    sdtm = json_only / "m5" / "datasets" / "nct06111625" / "tabulations" / "sdtm"
    assert not list(json_only.rglob("*.xpt")) and not list(json_only.rglob("*.ndjson"))
    assert "dm.json" in files_of(sdtm) and "define.xml" in files_of(sdtm)
    # the datasets' leaves (a define.xml also links documents: the protocol, an aCRF)
    hrefs = [leaf.get(XLINK_HREF) for leaf in etree.parse(str(sdtm / "define.xml")).iter(DEF_LEAF)
             if leaf.getparent().tag.endswith("ItemGroupDef")]
    assert "dm.json" in hrefs and all(href.endswith(".json") for href in hrefs)
    assert not [p for p in json_only.rglob(".*") if p.is_dir()]  # no staging folder left behind


def test_validate_reads_a_dataset_json_package_like_the_xpt_one(json_only: Path, tmp_path: Path):
    xpt_out = tmp_path / "xpt"
    run_study(study_copy(tmp_path), out_dir=xpt_out)  # no output.formats: XPT only, as before
    assert not list(xpt_out.rglob("*.ndjson")) and [p.name for p in xpt_out.rglob("*.json")] == ["report.json"]
    for json_package, xpt_package in zip(load_packages(json_only), load_packages(xpt_out), strict=True):
        assert sorted(json_package.datasets) == sorted(xpt_package.datasets)
        for name, dataset in json_package.datasets.items():
            assert dataset.format == "json" and dataset.readable, dataset.error
            assert dataset.frame.equals(xpt_package.datasets[name].frame)
    findings = {f.rule for f in validate_path(json_only).findings}
    # Only the rules about XPT files themselves (version 5, file named .xpt) tell the formats apart.
    assert findings <= {"CM0102", "CM0103", "CM0236"}, findings  # CM0236: no TA, TE, TI, TV yet


def test_a_damaged_dataset_json_file_is_reported_not_fatal(json_only: Path, tmp_path: Path):
    package = tmp_path / "pkg"
    shutil.copytree(json_only / "m5" / "datasets" / "nct06111625" / "tabulations" / "sdtm", package)
    text = (package / "ae.json").read_text(encoding="utf-8")
    (package / "ae.json").write_text(text[: len(text) // 2], encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(package)])
    assert result.exit_code == 1 and "CM0101" in result.output and "ae.json" in result.output
    assert "Traceback" not in result.output


def test_run_formats_option_overrides_study_yaml(tmp_path: Path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(study_copy(tmp_path, formats=["json"])), "--out", str(out),
                                       "--formats", "ndjson", "--quiet"])
    assert result.exit_code == 0, result.output
    adam = out / "m5" / "datasets" / "nct06111625" / "analysis" / "adam" / "datasets"
    assert files_of(adam) == ["adsl.ndjson", "adtte.ndjson", "define.html", "define.xml", "define2-1.xsl"]
    assert "adsl.ndjson" in result.output
    frame, meta = read_dataset_json(adam / "adsl.ndjson")
    assert meta.name == "ADSL" and len(frame) == 28


def test_unknown_format_is_a_usage_error_or_a_spec_error(tmp_path: Path):
    result = CliRunner().invoke(main, ["run", "--out", str(tmp_path / "out"), "--formats", "xpt,sas"])
    assert result.exit_code == 2 and "unknown dataset format 'sas'" in result.output
    assert not (tmp_path / "out").exists()
    study, problems = check_study(study_copy(tmp_path, formats=["xpt", "parquet"]))
    assert len(problems) == 1 and "parquet" in problems[0].message and problems[0].row is not None


def test_a_failing_json_write_leaves_the_previous_package_whole(tmp_path: Path):
    frame = pd.DataFrame({"STUDYID": ["S"], "N": [1.0]})
    variables = [SimpleNamespace(name="STUDYID", label="Study Identifier"), SimpleNamespace(name="N", label="N")]
    good = SimpleNamespace(name="XX", label="Test", frame=frame, variables=variables, keys=["STUDYID"])
    target = tmp_path / "pkg"
    written = write_package([good], target, formats=("xpt", "ndjson"))
    assert [p.name for p in written] == ["xx.ndjson", "xx.xpt"]
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    bad = SimpleNamespace(name="YY", label="Test", frame=pd.DataFrame({"FLAG": [True]}),
                          variables=[SimpleNamespace(name="FLAG", label="Flag")], keys=[])
    with pytest.raises(ProblemsError, match="bool"):
        write_package([good, bad], target, formats=("json",))  # YY fits no format here: nothing changes
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["pkg"]  # no staging folder left behind

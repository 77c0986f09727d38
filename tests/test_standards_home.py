"""The standards home: where it is, what `standards import` installs and refuses, and `standards list`."""

import gzip
import json
import lzma
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdisc_map.cli import main
from cdisc_map.core.problems import ProblemsError
from cdisc_map.standards import Standards, load_ct, load_sdtmig
from cdisc_map.standards.evs import COLUMNS
from cdisc_map.standards.home import HOME_VARIABLE, StandardsHome
from cdisc_map.standards.install import import_standards
from cdisc_map.standards.store import FORMAT_VERSION, StoreError, read_json

HEADER = "\t".join(COLUMNS)
SEX = [
    "C66731\t\tNo\tSex\tSEX\tSex\tSex of the individual.\tCDISC SDTM Sex of Individual Terminology",
    "C16576\tC66731\t\tSex\tF\tFemale\tA female person.\tFemale",
    "C20197\tC66731\t\tSex\tM\tMale\tA male person.\tMale",
]
UNIT = [
    "C71620\t\tYes\tUnit\tUNIT\tUnit\tUnits of measure.\tCDISC SDTM Unit of Measure Terminology",
    "C48152\tC71620\t\tUnit\tug\tmcg; Microgram\tOne millionth of a gram.\tMicrogram",
]


def ct_text(rows) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def write_ct(path: Path, rows=SEX + UNIT) -> Path:
    path.write_text(ct_text(rows), encoding="utf-8")
    return path


# --- where the home is ------------------------------------------------------------


def test_home_is_the_environment_variable_else_the_user_data_folder(monkeypatch, tmp_path):
    monkeypatch.setenv(HOME_VARIABLE, str(tmp_path))
    assert StandardsHome.default().path == tmp_path
    monkeypatch.setenv(HOME_VARIABLE, "  ")
    assert StandardsHome.default().path.name == "cdisc-map"  # platformdirs' user data folder
    assert StandardsHome.default().path != tmp_path


def test_a_home_that_does_not_exist_holds_nothing(tmp_path):
    home = StandardsHome(tmp_path / "nowhere")
    assert home.entries() == [] and home.find("ct", "SDTM") is None
    assert load_ct(home=home).origin == "bundled"


# --- importing ----------------------------------------------------------------------


def test_import_reports_what_it_installed_and_is_idempotent(tmp_path):
    home = StandardsHome(tmp_path / "home")
    source = write_ct(tmp_path / "SDTM Terminology 2025-03-28.txt")
    first = import_standards([source], home=home)
    (outcome,) = first.outcomes
    assert (outcome.action, outcome.entry.name) == ("installed", "SDTM CT 2025-03-28")
    assert dict(outcome.entry.counts) == {"codelists": 2, "terms": 3}
    assert outcome.entry.sources[0]["file"] == source.name and len(outcome.entry.sources[0]["sha256"]) == 64
    files = {p.name: p.read_bytes() for p in (home.path / "ct").iterdir()}
    again = import_standards([source], home=home)
    assert [o.action for o in again.outcomes] == ["unchanged"]
    assert {p.name: p.read_bytes() for p in (home.path / "ct").iterdir()} == files

    write_ct(source, SEX + UNIT + ["C48155\tC71620\t\tUnit\tg\tGram\tA gram.\tGram"])
    assert [o.action for o in import_standards([source], home=home).outcomes] == ["replaced"]
    ct = load_ct("2025-03-28", home=home)
    assert ct.is_full and ct.description == "CDISC CT 2025-03-28 (NCI EVS)"
    assert ct["UNIT"].lookup("gram").submission_value == "g"


@pytest.mark.parametrize("wrapping", ["xz", "gz", "zip"])
def test_compressed_packages_are_read_as_published(tmp_path, wrapping):
    text = ct_text(SEX).encode("utf-8")
    name = "SDTM Terminology 2024-12-20.txt"
    if wrapping == "zip":
        path = tmp_path / "SDTM Terminology.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(name, text)
            archive.writestr("readme.pdf", b"%PDF")
    else:
        path = tmp_path / f"{name}.{wrapping}"
        path.write_bytes(lzma.compress(text) if wrapping == "xz" else gzip.compress(text))
    report = import_standards([path], home=StandardsHome(tmp_path / "home"))
    assert [o.entry.name for o in report.outcomes] == ["SDTM CT 2024-12-20"]


def test_package_and_release_come_from_the_table_when_the_name_says_nothing(tmp_path):
    header = HEADER + "\tStandard and Date"
    rows = ["C81223\t\tNo\tDate Imputation Flag\tDATEFL\tDate Flag\tdef\tCDISC ADaM Date Imputation Flag Terminology"
            "\tADaM CT 2025-03-28",
            "C81209\tC81223\t\tDate Imputation Flag\tD\tDay\tdef\tDay Imputed\tADaM CT 2025-03-28"]
    path = tmp_path / "terminology.csv"
    path.write_text("\n".join([header.replace("\t", ","), *[r.replace("\t", ",") for r in rows]]) + "\n")
    (outcome,) = import_standards([path], home=StandardsHome(tmp_path / "home")).outcomes
    assert outcome.entry.name == "ADaM CT 2025-03-28"


def test_a_table_without_its_release_needs_version(tmp_path):
    path = write_ct(tmp_path / "SDTM Terminology.txt")
    with pytest.raises(ProblemsError, match="does not say which CT release"):
        import_standards([path], home=StandardsHome(tmp_path / "home"))
    report = import_standards([path], home=StandardsHome(tmp_path / "home"), version="2025-06-27")
    assert report.outcomes[0].entry.name == "SDTM CT 2025-06-27"


@pytest.mark.parametrize(("rows", "message", "row"), [
    (SEX + ["C16576\tC66731\t\tSex\tX\tOther\tdef\tOther"], "term C16576 appears twice in codelist C66731", 5),
    (SEX + ["C99999\tC66731\t\tSex\tF\tFem\tdef\tFem"], "submission value appears twice in codelist C66731", 5),
    (SEX + [SEX[0]], "codelist C66731 appears twice", 5),
    (SEX[1:], "terms refer to codelist C66731, which has no header row", 2),
    (["C66731\t\tMaybe\tSex\tSEX\tSex\tdef\tpt"] + SEX[1:], "has extensible 'Maybe', expected Yes or No", 2),
])
def test_unsound_packages_are_refused_with_file_and_row(tmp_path, rows, message, row):
    home = StandardsHome(tmp_path / "home")
    path = write_ct(tmp_path / "SDTM Terminology 2025-03-28.txt", rows)
    with pytest.raises(ProblemsError) as caught:
        import_standards([path], home=home)
    problem = next(p for p in caught.value.problems if message in p.message)
    assert (problem.file, problem.row) == (str(path), row)
    assert home.entries() == []


def test_one_bad_file_installs_nothing(tmp_path):
    home = StandardsHome(tmp_path / "home")
    good = write_ct(tmp_path / "SDTM Terminology 2025-03-28.txt")
    bad = tmp_path / "notes.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(ProblemsError, match="not a standards table"):
        import_standards([good, bad], home=home)
    assert home.entries() == [] and not (home.path / "ct").exists()


def test_ig_exports_are_checked(tmp_path):
    datasets = tmp_path / "sdtmig-3.4-datasets.csv"
    datasets.write_text('"Version","Class","Dataset Name","Dataset Label","Structure"\n'
                        '"SDTMIG v3.4","Events","AE","Adverse Events","One record per event"\n')
    variables = tmp_path / "sdtmig-3.4-variables.csv"
    columns = ('"Version","Variable Order","Class","Dataset Name","Variable Name","Variable Label","Type",'
               '"CDISC CT Codelist Code(s)","Role","CDISC Notes","Core"\n')
    variables.write_text(columns + '"SDTMIG v3.4","1","Events","AE","STUDYID","Study Identifier","Char","",'
                         '"Identifier","","Req"\n' + '"SDTMIG v3.4","1","Events","XX","XXSEQ","Seq","Num","",'
                         '"Identifier","","Req"\n' + '"SDTMIG v3.4","2","Events","AE","AESEQ","Seq","Number","",'
                         '"Identifier","","Req"\n')
    with pytest.raises(ProblemsError) as caught:
        import_standards([datasets, variables], home=StandardsHome(tmp_path / "home"))
    found = {(p.row, p.column, p.value) for p in caught.value.problems if p.severity == "error"}
    assert found == {(3, "Dataset Name", "XX"), (4, "Type", "Number")}
    with pytest.raises(ProblemsError, match="the variables table is missing"):
        import_standards([datasets], home=StandardsHome(tmp_path / "home"))


def test_the_shared_standards_install_with_their_published_counts(standards_home):
    names = {entry.name: dict(entry.counts) for entry in standards_home.entries()}
    assert names == {
        "ADaM CT 2025-03-28": {"codelists": 23, "terms": 140},
        "Define-XML CT 2025-03-28": {"codelists": 15, "terms": 88},
        "SDTM CT 2025-03-28": {"codelists": 1158, "terms": 43698},
        "ADaMIG 1.3": {"structures": 3, "variables": 336},
        "SDTMIG 3.4": {"datasets": 63, "variables": 1917},
    }


def test_the_store_is_versioned_json_that_refuses_what_it_cannot_read(standards_home, tmp_path):
    entry = standards_home.find("ct", "SDTM", "2025-03-28")
    document = json.loads(gzip.decompress(standards_home.data_path(entry).read_bytes()))
    assert document["format_version"] == FORMAT_VERSION and document["package"] == "SDTM"
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({**document, "format_version": FORMAT_VERSION + 1}))
    with pytest.raises(StoreError, match="import the standard again"):
        read_json(newer, document["kind"])
    damaged = tmp_path / "damaged.json.gz"
    damaged.write_bytes(standards_home.data_path(entry).read_bytes()[:1000])
    with pytest.raises(StoreError, match="damaged"):
        read_json(damaged, document["kind"])


def test_standards_are_chosen_by_home_and_ct_file(standards_home, tmp_path):
    chosen = Standards(standards_home)
    assert chosen.ct("2025-03-28").description == "CDISC CT 2025-03-28 (NCI EVS)"
    assert chosen.ct("2025-03-28", package="Define-XML").description == "CDISC Define-XML CT 2025-03-28 (NCI EVS)"
    assert chosen.sdtmig("3.4").is_full and not load_sdtmig("3.4").is_full
    file = write_ct(tmp_path / "SDTM Terminology 2030-01-01.txt")
    override = Standards(standards_home, ct_file=file)
    assert override.ct("2025-03-28").version == "2030-01-01"
    assert override.ct("2025-03-28", package="ADaM").version == "2025-03-28"  # the file is SDTM CT only
    with pytest.raises(ValueError, match="does not exist"):
        Standards.from_options(tmp_path / "missing")


# --- the command line ---------------------------------------------------------------


def test_cli_import_and_list(tmp_path):
    source = write_ct(tmp_path / "SDTM Terminology 2025-03-28.txt")
    home = tmp_path / "home"
    result = CliRunner().invoke(main, ["standards", "import", str(source), "--standards", str(home)])
    assert result.exit_code == 0, result.output
    assert "installed  SDTM CT 2025-03-28  2 codelists, 3 terms" in result.output
    listing = CliRunner().invoke(main, ["standards", "list", "--standards", str(home)])
    assert "SDTM CT 2025-03-28  2 codelists, 3 terms" in listing.output
    assert "bundled subset 2024-09-27" in listing.output
    document = json.loads(CliRunner().invoke(main, ["standards", "list", "--standards", str(home),
                                                    "--format", "json"]).output)
    assert [(e["package"], e["version"]) for e in document["installed"]] == [("SDTM", "2025-03-28")]


def test_cli_import_of_a_bad_file_lists_the_problems_and_exits_1(tmp_path):
    path = write_ct(tmp_path / "SDTM Terminology 2025-03-28.txt", SEX[1:])
    result = CliRunner().invoke(main, ["standards", "import", str(path), "--standards", str(tmp_path / "h")])
    assert result.exit_code == 1
    assert "no header row" in result.output and "Nothing was installed" in result.output
    assert "Traceback" not in result.output

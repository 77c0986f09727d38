"""The bundled SDTMIG 3.4 tables and CT terms, checked row by row against the published files
of ../shared/standards/ (the CDISC Library export of SDTMIG 3.4, NCI EVS SDTM CT 2025-03-28),
read here with the csv module alone: the bundled rows are written by the project, so every
fact in them (order, label, type, core, role, codelists) must be the standard's."""

import csv
import io
import lzma
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent.parent / "cdisc_map" / "standards" / "data"
#: The CT rows the trial design datasets and IE brought into the bundled subset.
ADDED_TERMS = [("C66797", ""), ("C25370", "C66797"), ("C25532", "C66797"), ("C61536", "C66734"),
               ("C49618", "C66734"), ("C49619", "C66734"), ("C49620", "C66734"), ("C49621", "C66734"),
               ("C70793", "C78735")]

#: The codelists the second bundled study (NCT03036124) brought in: the codelist row and every term of each.
SECOND_STUDY_CODELISTS = ("LBTESTCD", "LBTEST", "LBSTRESC", "NRIND", "SPECTYPE", "SPECCOND", "METHOD", "VSTESTCD",
                          "VSTEST", "VSRESU", "POSITION", "IECAT", "CNTMODE", "MHEDTTYP")
#: The terms it added to codelists the first study had already.
SECOND_STUDY_TERMS = {
    "DOMAIN": ("LB", "MH", "SV", "TA", "TE", "TI", "TV", "VS"),
    "UNIT": ("mmol/L", "umol/L", "g/dL", "U/L", "mmHg", "cm"),
    "TSPARMCD": ("COMPTRT", "RANDQT"),
    "TSPARM": ("Comparative Treatment Name", "Randomization Quotient"),
}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def published_variables(shared_standards) -> dict[tuple[str, str], dict[str, str]]:
    return {(r["Dataset Name"], r["Variable Name"]): r for r in read_csv(shared_standards / "sdtmig-3.4-variables.csv")}


@pytest.fixture(scope="module")
def published_ct(shared_standards) -> dict[tuple[str, str], dict[str, str]]:
    """NCI EVS rows by (code, codelist code); a codelist's own row has an empty codelist code."""
    text = lzma.decompress((shared_standards / "sdtm-ct-2025-03-28.txt.xz").read_bytes()).decode("utf-8")
    return {(r["Code"], r["Codelist Code"]): r for r in csv.DictReader(io.StringIO(text), delimiter="\t")}


def bundled_variables() -> list[dict[str, str]]:
    return read_csv(DATA / "sdtmig-3.4-variables.csv")


def test_every_bundled_variable_row_is_the_ig_s(published_variables):
    differences = []
    for row in bundled_variables():
        published = published_variables.get((row["dataset"], row["name"]))
        if published is None:
            differences.append((row["dataset"], row["name"], "not an SDTMIG 3.4 variable of the dataset"))
            continue
        codes = [code.strip() for code in published["CDISC CT Codelist Code(s)"].split(";") if code.strip()]
        for fact, ours, theirs in (("order", row["order"], published["Variable Order"]),
                                   ("label", row["label"], published["Variable Label"]),
                                   ("type", row["type"], published["Type"]),
                                   ("core", row["core"], published["Core"]),
                                   ("role", row["role"], published["Role"]),
                                   ("codelist", row["codelist_code"].split(), codes)):
            if ours != theirs:
                differences.append((row["dataset"], row["name"], fact, ours, theirs))
    assert differences == []


def test_every_bundled_dataset_has_all_its_ig_variables(published_variables):
    ours = {(r["dataset"], r["name"]) for r in bundled_variables()}
    datasets = {dataset for dataset, _ in ours}
    assert {"IE", "TA", "TE", "TI", "TV"} <= datasets
    missing = {key for key in published_variables if key[0] in datasets} - ours
    assert missing == set()


def test_every_bundled_dataset_row_is_the_ig_s(shared_standards):
    published = {r["Dataset Name"]: r for r in read_csv(shared_standards / "sdtmig-3.4-datasets.csv")}
    for row in read_csv(DATA / "sdtmig-3.4-datasets.csv"):
        theirs = published[row["dataset"]]
        assert (row["label"], row["class"], row["structure"]) == (
            theirs["Dataset Label"], theirs["Class"], theirs["Structure"]), row["dataset"]


def test_bundled_codelist_names_are_the_published_codelists(published_ct):
    for row in bundled_variables():
        for short, code in zip(row["codelist"].split(), row["codelist_code"].split(), strict=True):
            assert published_ct[(code, "")]["CDISC Submission Value"] == short, (row["dataset"], row["name"])


@pytest.mark.parametrize(("code", "codelist"), ADDED_TERMS)
def test_added_ct_terms_are_the_published_terms(published_ct, code, codelist):
    with (DATA / "ct" / "sdtm-ct-2024-09-27.txt").open(encoding="utf-8", newline="") as handle:
        ours = {(r["Code"], r["Codelist Code"]): r for r in csv.DictReader(handle, delimiter="\t")}
    facts = ("Codelist Extensible (Yes/No)", "Codelist Name", "CDISC Submission Value", "CDISC Synonym(s)",
             "NCI Preferred Term")
    assert [ours[(code, codelist)][f] for f in facts] == [published_ct[(code, codelist)][f] for f in facts]


def read_ct(text: str) -> tuple[dict[str, dict], dict[str, dict[str, dict]]]:
    """(short name -> codelist row, short name -> submission value -> term row) of an NCI EVS table."""
    rows = list(csv.DictReader(io.StringIO(text), delimiter="\t"))
    headers = {row["Code"]: row for row in rows if not row["Codelist Code"]}
    codelists = {row["CDISC Submission Value"]: row for row in headers.values()}
    terms: dict[str, dict[str, dict]] = {}
    for row in rows:
        if row["Codelist Code"] in headers:
            short = headers[row["Codelist Code"]]["CDISC Submission Value"]
            terms.setdefault(short, {})[row["CDISC Submission Value"]] = row
    return codelists, terms


def test_the_second_study_s_codelists_and_terms_are_the_published_ones(shared_standards):
    published = lzma.decompress((shared_standards / "sdtm-ct-2025-03-28.txt.xz").read_bytes()).decode("utf-8")
    codelists, terms = read_ct(published)
    our_codelists, our_terms = read_ct((DATA / "ct" / "sdtm-ct-2024-09-27.txt").read_text(encoding="utf-8"))
    differences = []
    wanted = {short: tuple(our_terms.get(short, {})) for short in SECOND_STUDY_CODELISTS} | SECOND_STUDY_TERMS
    for short in SECOND_STUDY_CODELISTS:
        mine, theirs = our_codelists[short], codelists.get(short)
        if theirs is None:
            differences.append(f"codelist {short}: not in CT 2025-03-28")
            continue
        for column in ("Code", "Codelist Extensible (Yes/No)", "Codelist Name"):
            if mine[column] != theirs[column]:
                differences.append(f"codelist {short} {column}: ours {mine[column]!r}, CT {theirs[column]!r}")
    for short, values in wanted.items():
        assert values, f"codelist {short} has no terms in the subset"
        for value in values:
            mine, theirs = our_terms[short][value], terms.get(short, {}).get(value)
            if theirs is None:
                differences.append(f"{short} {value!r}: no such submission value in CT 2025-03-28")
            elif mine["Code"] != theirs["Code"]:
                differences.append(f"{short} {value!r} code: ours {mine['Code']}, CT {theirs['Code']}")
    assert not differences, f"{len(differences)} difference(s):\n" + "\n".join(differences)

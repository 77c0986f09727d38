"""The rows the bundled standards subset carries for the second bundled study (NCT03036124),
checked against the published tables of ../shared/standards/.

The subset (`cdisc_map/standards/data/`) is written by hand, so that a machine with nothing
installed can still convert and validate the bundled studies. A hand-written row can be
wrong; these tests compare every row added for the second study with the CDISC Library
export of SDTMIG 3.4 (label, type, core, role, codelists and order of every variable of the
domains it added; label, class and structure of those datasets) and with NCI EVS CDISC SDTM
CT 2025-03-28 (code, extensibility and name of every codelist it added; code and submission
value of every term it added). Every difference is listed in one failure. The files are read
with the csv module, not with cdisc-map's loaders, so a loader fault cannot hide a wrong row.
"""

from __future__ import annotations

import csv
import io
import lzma
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "cdisc_map" / "standards" / "data"
BUNDLED_CT = DATA / "ct" / "sdtm-ct-2024-09-27.txt"
PUBLISHED_CT = "sdtm-ct-2025-03-28.txt.xz"

#: the SDTMIG 3.4 domains added for the second study: every variable row of them is checked
DATASETS = ("SV", "MH", "LB", "VS", "TA", "TE", "TV", "TI")
#: the codelists added for it: the codelist row and every term row of each are checked
CODELISTS = ("LBTESTCD", "LBTEST", "LBSTRESC", "NRIND", "SPECTYPE", "SPECCOND", "METHOD", "VSTESTCD", "VSTEST",
             "VSRESU", "POSITION", "IECAT", "CNTMODE", "MHEDTTYP")
#: differences kept on purpose, each with its reason
DELIBERATE = {
    ("LB.LBSTRESC", "codelist"): "SDTMIG 3.4 gives LBSTRESC the codelist C102580 for character results "
                                 "(NEGATIVE, POSITIVE ...); checked against every value, each numeric result would "
                                 "be a warning and a sponsor extension in define.xml, so the subset leaves it out",
}
#: the terms added to codelists the first study had already
TERMS = {
    "DOMAIN": ("LB", "MH", "SV", "TA", "TE", "TI", "TV", "VS"),
    "UNIT": ("mmol/L", "umol/L", "g/dL", "U/L", "mmHg", "cm"),
    "TSPARMCD": ("COMPTRT", "RANDQT"),
    "TSPARM": ("Comparative Treatment Name", "Randomization Quotient"),
}


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


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


@pytest.fixture(scope="module")
def published(shared_standards):
    datasets = {row["Dataset Name"]: row for row in read_csv(shared_standards / "sdtmig-3.4-datasets.csv")}
    variables: dict[str, list[dict]] = {}
    for row in read_csv(shared_standards / "sdtmig-3.4-variables.csv"):
        variables.setdefault(row["Dataset Name"], []).append(row)
    ct = read_ct(lzma.decompress((shared_standards / PUBLISHED_CT).read_bytes()).decode("utf-8"))
    return datasets, variables, ct


def codes(cell: str) -> set[str]:
    return {code for code in cell.replace(";", " ").split() if code}


def test_the_added_datasets_are_the_published_ones(published):
    datasets, _variables, _ct = published
    ours = {row["dataset"]: row for row in read_csv(DATA / "sdtmig-3.4-datasets.csv")}
    differences = []
    for name in DATASETS:
        mine, theirs = ours[name], datasets[name]
        for field, column in (("label", "Dataset Label"), ("class", "Class"), ("structure", "Structure")):
            if mine[field] != theirs[column]:
                differences.append(f"{name} {field}: ours {mine[field]!r}, SDTMIG 3.4 {theirs[column]!r}")
    assert not differences, "\n".join(differences)


def test_every_added_variable_row_is_the_published_one(published):
    _datasets, variables, _ct = published
    ours: dict[str, list[dict]] = {}
    for row in read_csv(DATA / "sdtmig-3.4-variables.csv"):
        ours.setdefault(row["dataset"], []).append(row)
    differences = []
    for name in DATASETS:
        theirs = {row["Variable Name"]: row for row in variables[name]}
        mine = {row["name"]: row for row in ours[name]}
        for missing in sorted(set(theirs) - set(mine), key=lambda v: int(theirs[v]["Variable Order"])):
            differences.append(f"{name}.{missing}: in SDTMIG 3.4 (order {theirs[missing]['Variable Order']}), "
                               "not in ours")
        for extra in sorted(set(mine) - set(theirs)):
            differences.append(f"{name}.{extra}: in ours, not in SDTMIG 3.4")
        for var in sorted(set(mine) & set(theirs), key=lambda v: int(theirs[v]["Variable Order"])):
            a, b = mine[var], theirs[var]
            for field, column in (("order", "Variable Order"), ("label", "Variable Label"), ("type", "Type"),
                                  ("core", "Core"), ("role", "Role")):
                if a[field] != b[column]:
                    differences.append(f"{name}.{var} {field}: ours {a[field]!r}, SDTMIG 3.4 {b[column]!r}")
            if codes(a["codelist_code"]) != codes(b["CDISC CT Codelist Code(s)"]) and \
                    (f"{name}.{var}", "codelist") not in DELIBERATE:
                differences.append(f"{name}.{var} codelist: ours {a['codelist_code']!r}, "
                                   f"SDTMIG 3.4 {b['CDISC CT Codelist Code(s)']!r}")
    assert not differences, f"{len(differences)} difference(s):\n" + "\n".join(differences)


def test_every_added_codelist_and_term_is_the_published_one(published):
    _datasets, _variables, (codelists, terms) = published
    our_codelists, our_terms = read_ct(BUNDLED_CT.read_text(encoding="utf-8"))
    differences = []
    wanted = {short: tuple(our_terms.get(short, {})) for short in CODELISTS} | TERMS
    for short in CODELISTS:
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


def test_every_deliberate_difference_is_still_one(published):
    """An exception that no longer differs from the published table is stale: remove it."""
    _datasets, variables, _ct = published
    ours = {(row["dataset"], row["name"]): row for row in read_csv(DATA / "sdtmig-3.4-variables.csv")}
    for (where, field), _reason in DELIBERATE.items():
        dataset, name = where.split(".")
        theirs = next(row for row in variables[dataset] if row["Variable Name"] == name)
        assert field == "codelist"
        assert codes(ours[(dataset, name)]["codelist_code"]) != codes(theirs["CDISC CT Codelist Code(s)"]), where

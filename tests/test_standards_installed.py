"""The published standards of ../shared/standards/, installed by `standards import` into a home of the
test session: the full CT, every SDTMIG 3.4 domain, split and custom datasets, the ADaMIG structures,
and our own SDTM class table and bundled ADaM tables checked against them."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdisc_map.cli import BUNDLED_STUDY, main
from cdisc_map.standards import load_ct, load_sdtmig, not_in_codelist
from cdisc_map.standards.adam_metadata import load_adamig
from cdisc_map.standards.home import NotInstalledError
from cdisc_map.standards.sdtm_model import GENERAL_CLASSES, class_variables, general_class

RELEASE = "2025-03-28"


@pytest.fixture(scope="module")
def ct(standards_home):
    return load_ct(RELEASE, home=standards_home)


@pytest.fixture(scope="module")
def ig(standards_home):
    return load_sdtmig("3.4", home=standards_home)


# --- controlled terminology -----------------------------------------------------------


@pytest.mark.parametrize(("codelist", "value"), [
    ("ROUTE", "OPHTHALMIC"), ("ROUTE", "NASAL"), ("ROUTE", "TRANSDERMAL"), ("FRM", "PATCH"), ("FREQ", "Q4H"),
    ("UNIT", "ng"), ("DOMAIN", "LB"), ("LBTESTCD", "ALT"), ("VSTESTCD", "SYSBP"),
])
def test_the_full_ct_holds_what_the_subset_lacks(ct, codelist, value):
    assert value in ct[codelist]
    subset = load_ct()
    assert codelist not in subset or value not in subset[codelist]


def test_the_installed_release_says_what_it_is(ct, standards_home):
    assert (ct.description, ct.is_full, ct.package) == ("CDISC CT 2025-03-28 (NCI EVS)", True, "SDTM")
    assert load_ct(home=standards_home) is ct  # the newest installed, read once per process
    assert load_ct("2024-09-27", home=standards_home).description == "bundled subset 2024-09-27"
    with pytest.raises(NotInstalledError, match=r"installed SDTM CT: 2025-03-28"):
        load_ct("2024-09-27", home=standards_home, fallback=False)
    adam = load_ct(RELEASE, package="ADaM", home=standards_home)
    assert adam.description == "CDISC ADaM CT 2025-03-28 (NCI EVS)" and "DATEFL" in adam


def test_a_value_not_in_a_codelist_gets_the_closest_terms_not_the_first_ones(ct):
    advice = not_in_codelist("Opthalmic", ct["ROUTE"], ct, variable="EXROUTE")
    assert advice.message == ("EXROUTE value is not in the extensible codelist ROUTE (C66729) of "
                              "CDISC CT 2025-03-28 (NCI EVS)")
    assert advice.suggestions[0].term.submission_value == "OPHTHALMIC"
    assert "full CT may hold it" not in advice.hint
    by_synonym = not_in_codelist("every 4 hours", ct["FREQ"], ct)
    assert str(by_synonym.suggestions[0]) == "'Q4H' (Every 4 hours)"
    assert not_in_codelist("po", ct["ROUTE"], ct).suggestions[0].term.submission_value == "ORAL"
    sex = not_in_codelist("Femme", ct["SEX"], ct)
    assert "non-extensible" in sex.message and "extensible:" not in sex.hint


def test_the_subset_says_the_full_ct_may_hold_a_value():
    subset = load_ct()
    advice = not_in_codelist("NASAL", subset["ROUTE"], subset)
    assert "bundled subset 2024-09-27" in advice.message
    assert "the full CT may hold it (`cdisc-map ct download 2024-09-27`)" in advice.hint


def test_the_installed_ct_loads_in_a_fresh_process_well_under_a_second(standards_home):
    code = ("import time; t = time.perf_counter(); from cdisc_map.standards import load_ct; "
            f"ct = load_ct('{RELEASE}'); n = ct.term_count(); ct['UNIT'].lookup('ng'); "
            "print(n, round(time.perf_counter() - t, 3))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={"CDISC_MAP_HOME": str(standards_home.path), "PATH": ""})
    terms, seconds = result.stdout.split()
    assert terms == "43698"
    print(f"\nfresh process: import + load of SDTM CT {RELEASE} ({terms} terms) in {seconds} s")


# --- SDTMIG 3.4 -------------------------------------------------------------------------


def test_every_sdtmig_domain_is_known_with_its_metadata(ig):
    assert ig.is_full and ig.description == "SDTMIG 3.4 (CDISC Library)"
    assert len(ig.datasets()) == 63
    for name in ("LB", "VS", "EG", "MH", "CM", "SV", "SE", "TA", "TE", "TV", "TI", "QS", "FA", "RELREC"):
        assert ig.variables(name), name
    lb = ig.dataset("LB")
    assert (lb.label, lb.cls) == ("Laboratory Test Results", "Findings")
    stresn = ig.variable("LB", "LBSTRESN")
    assert (stresn.type, stresn.role, stresn.core) == ("Num", "Result Qualifier", "Exp")
    assert ig.variable("LB", "LBORRESU").codelist == "UNIT"  # short name from the installed CT
    assert ig.variable("LB", "LBORRESU").codelist_code == "C71620"
    assert ig.variable("LB", "LBDTC").value_domain == "ISO 8601 datetime or interval"
    assert ig.variable("LB", "DOMAIN").value_list == "LB"
    dsdecod = ig.variable("DS", "DSDECOD")
    assert dsdecod.codelist_codes == ("C66727", "C114118", "C150811") and len(dsdecod.codelists) == 3
    assert ig.variable("DM", "COUNTRY").codelist == ""  # ISO 3166, no CDISC codelist: BRA is a valid value
    assert ig.dataset("DM").keys == ("STUDYID", "USUBJID")  # kept from cdisc-map's own table


def test_split_and_supplemental_datasets_resolve_to_the_metadata_they_use(ig):
    split = ig.dataset_for("LBCH")
    assert (split.kind, split.domain, split.basis, split.meta.name) == ("split", "LB", "LB", "LBCH")
    assert [v.name for v in split.variables] == [v.name for v in ig.variables("LB")]
    assert {v.dataset for v in split.variables} == {"LBCH"}
    supp = ig.dataset_for("SUPPLBCH")
    assert (supp.kind, supp.domain, supp.basis) == ("supplemental", "LB", "SUPPQUAL")
    assert supp.meta.label == "Supplemental Qualifiers for LBCH"
    assert [v.name for v in supp.variables][:3] == ["STUDYID", "RDOMAIN", "USUBJID"]
    assert ig.dataset_for("FACM").basis == "FA"
    custom = ig.dataset_for("LX", cls="Findings")  # not an IG domain, so sponsor-defined
    assert custom.kind == "custom" and custom.variables[0].name == "STUDYID"
    with pytest.raises(KeyError, match="LB is an SDTMIG 3.4 Findings dataset, not Events"):
        ig.dataset_for("LB", cls="Events")


def test_lb_may_carry_the_findings_class_variables_its_table_lacks(ig):
    extras = {v.name: v for v in ig.class_variables("LB")}
    assert {"LBLNKID", "LBEVLINT", "LBSTRF"} <= set(extras)
    assert extras["LBPOS"].codelist == "POSITION"  # as the Findings domains that list --POS control it
    assert extras["LBENRTPT"].codelist == "STENRF"
    allowed = [v.name for v in ig.allowed_variables("LB")]
    assert allowed.index("LBSPID") < allowed.index("LBLNKID") < allowed.index("LBTESTCD")


# --- our SDTM model table, checked against the IG ---------------------------------------


def test_the_class_table_agrees_with_every_general_class_domain_of_the_ig(ig):
    """Every IG domain of a general class uses the model's variables: where a domain lists one of
    ours, its type agrees, and the domain lists them in the model's order."""
    checked = 0
    for name in ig.datasets():
        cls = general_class(ig.dataset(name).cls)
        if cls is None:
            continue
        model = {v.name_for(name): v for v in class_variables(cls)}
        ranks = []
        for var in ig.variables(name):
            if var.name in model:
                assert model[var.name].type == var.type, (name, var.name)
                ranks.append((model[var.name].order, var.name))
                checked += 1
        assert ranks == sorted(ranks), (name, ranks)
    assert checked > 1200


def test_our_class_table_covers_the_timing_and_identifiers_the_ig_uses(ig):
    used = set()
    for name in ig.datasets():
        if general_class(ig.dataset(name).cls) is None:
            continue
        for var in ig.variables(name):
            if var.role in ("Timing", "Identifier"):
                used.add("--" + var.name[2:] if var.name.startswith(name) and var.name != name else var.name)
    ours = {v.pattern for cls in GENERAL_CLASSES for v in class_variables(cls)}
    assert used - ours == {"--BEATNO"}  # EG's beat number: not in our table yet


# --- ADaMIG -----------------------------------------------------------------------------


def test_adamig_structures_and_the_bundled_adam_tables(standards_home):
    adam = load_adamig("1.3", home=standards_home)
    assert adam.is_full and adam.structures() == ["ADSL", "BDS", "TTE"]
    assert adam.structure("TTE").basis == "BDS" and len(adam.structure_variables("TTE")) == 195
    assert adam.ig_variable("TRT01P", "ADSL").name == "TRTxxP"
    assert adam.ig_variable("AGEGR1", "ADSL").name == "AGEGRy"
    assert adam.ig_variable("CNSR", "TTE").core == "Cond"
    assert adam.ig_variable("NOSUCH", "BDS") is None
    assert adam.variables("ADTTE") == load_adamig("1.3").variables("ADTTE")  # the build does not change
    for dataset, structure in (("ADSL", "ADSL"), ("ADTTE", "TTE")):
        for var in adam.variables(dataset):
            if var.defined_by != "ADaMIG":
                continue
            ig_var = adam.ig_variable(var.name, structure) or adam.ig_variable(var.name, "ADSL")
            assert ig_var is not None, (dataset, var.name)  # a BDS dataset may carry any ADSL variable
            assert ig_var.type == var.type, (dataset, var.name)
            if ig_var.structure == adam.structure(structure).basis or ig_var.structure == structure:
                assert ig_var.core == var.core, (dataset, var.name)


def test_the_python_api_example_of_the_docs_runs(standards_home, monkeypatch, tmp_path):
    docs = Path(__file__).resolve().parent.parent / "docs" / "standards.md"
    block = re.search(r"```python\n(.*?)```", docs.read_text(encoding="utf-8"), re.S).group(1)
    monkeypatch.setenv("CDISC_MAP_HOME", str(standards_home.path))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "SDTM Terminology 2025-03-28.txt").write_text(
        "Code\tCodelist Code\tCodelist Extensible (Yes/No)\tCodelist Name\tCDISC Submission Value\t"
        "CDISC Synonym(s)\tCDISC Definition\tNCI Preferred Term\n"
        "C66731\t\tNo\tSex\tSEX\tSex\tSex.\tCDISC SDTM Sex of Individual Terminology\n"
        "C16576\tC66731\t\tSex\tF\tFemale\tFemale.\tFemale\n", encoding="utf-8")
    namespace: dict = {}
    exec(compile(block, str(docs), "exec"), namespace)  # the example exactly as documented
    assert namespace["ct"].description == "CDISC CT 2025-03-28 (NCI EVS)"
    assert namespace["advice"].suggestions[0].term.submission_value == "OPHTHALMIC"
    assert namespace["standards"].ct("2025-03-28").version == "2025-03-28"
    assert "EXDTC" in [v.name for v in namespace["ig"].allowed_variables("EX")]


# --- the commands take --standards and --ct ----------------------------------------------


def test_run_check_spec_and_validate_use_the_standards_they_are_given(standards_home, tmp_path):
    home = ["--standards", str(standards_home.path)]
    result = CliRunner().invoke(main, ["run", "--out", str(tmp_path / "out"), *home])
    assert result.exit_code == 0, result.output
    assert "Standards: bundled subset 2024-09-27, SDTMIG 3.4 (CDISC Library)" in result.output
    report = json.loads((tmp_path / "out" / "validation" / "report.json").read_text())
    assert (report["standard"], report["terminology"]) == ("ADaMIG 1.3, SDTMIG 3.4 (CDISC Library)",
                                                           "bundled subset 2024-09-27")
    checked = CliRunner().invoke(main, ["validate", str(tmp_path / "out"), "--format", "json", *home])
    assert checked.exit_code == 0 and json.loads(checked.output)["terminology"] == "CDISC CT 2025-03-28 (NCI EVS)"
    assert CliRunner().invoke(main, ["check-spec", str(BUNDLED_STUDY), *home]).exit_code == 0
    sex_only = tmp_path / "SDTM Terminology 2025-03-28.txt"
    sex_only.write_text("Code\tCodelist Code\tCodelist Extensible (Yes/No)\tCodelist Name\tCDISC Submission Value\t"
                        "CDISC Synonym(s)\tCDISC Definition\tNCI Preferred Term\n"
                        "C66731\t\tNo\tSex\tSEX\tSex\tSex.\tCDISC SDTM Sex of Individual Terminology\n"
                        "C16576\tC66731\t\tSex\tF\tFemale\tFemale.\tFemale\n", encoding="utf-8")
    refused = CliRunner().invoke(main, ["check-spec", str(BUNDLED_STUDY), "--ct", str(sex_only)])
    assert refused.exit_code == 1 and "codelist 'NY' is not in CDISC CT" in refused.output
    missing = CliRunner().invoke(main, ["run", "--out", str(tmp_path / "x"), "--standards", str(tmp_path / "none")])
    assert missing.exit_code == 2 and "does not exist" in missing.output

"""The SDTM v2.0 general observation class variables (our data file), and what a domain may carry."""

import re

import pytest

from cdisc_map.standards import UnknownStandardError, load_sdtmig
from cdisc_map.standards.sdtm_model import GENERAL_CLASSES, UnknownClassError, class_variables, general_class

TIMING = ["VISITNUM", "VISIT", "VISITDY", "TAETORD", "EPOCH", "--DTC", "--STDTC", "--ENDTC", "--DY", "--STDY",
          "--ENDY", "--DUR", "--TPT", "--TPTNUM", "--ELTM", "--TPTREF", "--RFTDTC", "--STRF", "--ENRF", "--EVLINT",
          "--STRTPT", "--STTPT", "--ENRTPT", "--ENTPT"]


def patterns(cls):
    return [v.pattern for v in class_variables(cls)]


@pytest.mark.parametrize("cls", GENERAL_CLASSES)
def test_every_class_has_the_identifiers_and_timing_variables_of_the_model(cls):
    names = patterns(cls)
    assert names[:3] == ["STUDYID", "DOMAIN", "USUBJID"]
    for pattern in ["--SEQ", "--GRPID", "--REFID", "--SPID", "--LNKID", "--LNKGRP", *TIMING]:
        assert pattern in names, (cls, pattern)
    positions = [names.index(p) for p in TIMING]
    assert positions == sorted(positions)  # the model's order
    assert names.index("--LNKGRP") < names.index("VISITNUM")


@pytest.mark.parametrize(("cls", "topic", "qualifiers"), [
    ("Interventions", "--TRT", ["--DOSE", "--DOSU", "--ROUTE", "--OCCUR", "--INDC"]),
    ("Events", "--TERM", ["--DECOD", "--BODSYS", "--SEV", "--SER", "--ACN", "--OUT", "--TOXGR"]),
    ("Findings", "--TESTCD", ["--TEST", "--ORRES", "--ORRESU", "--STRESC", "--STRESN", "--STRESU", "--ORNRLO",
                              "--STNRHI", "--NRIND", "--SPEC", "--METHOD", "--BLFL", "--LOBXFL"]),
    ("Findings About", "--TESTCD", ["--OBJ", "--ORRES"]),
])
def test_topic_and_qualifiers_of_each_class(cls, topic, qualifiers):
    variables = {v.pattern: v for v in class_variables(cls)}
    assert variables[topic].role == "Topic" and variables[topic].custom_core == "Req"
    for pattern in qualifiers:
        assert variables[pattern].role.endswith("Qualifier"), pattern
    assert "--TESTCD" not in variables or cls.startswith("Findings")
    assert "--TRT" not in variables or cls == "Interventions"


def test_types_labels_and_names():
    for cls in GENERAL_CLASSES:
        for var in class_variables(cls):
            assert re.fullmatch(r"(--)?[A-Z][A-Z0-9]*", var.pattern) and len(var.name_for("XX")) <= 8, var
            assert var.type in ("Char", "Num") and 0 < len(var.label) <= 40, var
    numeric = {v.pattern for v in class_variables("Findings") if v.type == "Num"}
    assert {"--SEQ", "--STRESN", "--STNRLO", "--STNRHI", "VISITNUM", "VISITDY", "TAETORD", "--DY", "--TPTNUM"} \
        <= numeric
    assert {"--ORRES", "--ORNRLO", "--DTC", "--DUR", "--ELTM"}.isdisjoint(numeric)


def test_class_names_are_recognised_loosely():
    assert general_class("events") == "Events" and general_class("FINDINGS-ABOUT") == "Findings About"
    assert general_class("Special-Purpose") is None
    with pytest.raises(UnknownClassError, match="not an SDTM general observation class"):
        class_variables("Trial Design")


# --- what a domain may carry, through the bundled metadata ---------------------------


def test_ex_and_ds_may_carry_visit_variables_in_the_models_order():
    ig = load_sdtmig("3.4")
    for domain in ("EX", "DS"):
        allowed = [v.name for v in ig.allowed_variables(domain)]
        table = [v.name for v in ig.variables(domain)]
        assert [n for n in allowed if n in table] == table  # the IG's order kept
        for name in ("VISITNUM", "VISIT", "VISITDY"):
            extra = ig.variable(domain, name)
            assert extra.core == "Perm" and extra.role == "Timing" and extra.defined_by == "SDTM 2.0"
        assert allowed.index("VISITNUM") < allowed.index("VISIT") < allowed.index("VISITDY") < allowed.index("EPOCH")
    assert {"AEDTC", "AEDY", "AESTRF", "AEEVLINT", "AELNKID"} <= {v.name for v in ig.class_variables("AE")}
    assert "AESTDTC" not in {v.name for v in ig.class_variables("AE")}  # the IG table lists it already
    ex = [v.name for v in ig.allowed_variables("EX")]
    assert ex.index("EXDTC") < ex.index("EXSTDTC") and ex.index("EXSTRF") > ex.index("EXENDY")


def test_special_purpose_domains_get_no_class_variables():
    ig = load_sdtmig("3.4")
    assert ig.class_variables("DM") == [] and ig.allowed_variables("DM") == ig.variables("DM")
    with pytest.raises(UnknownStandardError, match="no variable VISITNUM in DM"):
        ig.variable("DM", "VISITNUM")


def test_a_custom_domain_of_a_class_is_built_from_the_model():
    ig = load_sdtmig("3.4")
    definition = ig.dataset_for("XB", cls="Events")
    assert (definition.kind, definition.domain, definition.basis) == ("custom", "XB", "Events")
    variables = {v.name: v for v in definition.variables}
    assert [n for n in variables][:4] == ["STUDYID", "DOMAIN", "USUBJID", "POOLID"]
    assert {n for n, v in variables.items() if v.core == "Req"} == {"STUDYID", "DOMAIN", "USUBJID", "XBSEQ",
                                                                     "XBTERM"}
    assert variables["DOMAIN"].value_list == "XB" and variables["XBSTDTC"].role == "Timing"
    assert variables["XBSER"].codelist == "NY"  # as every IG Events domain that has --SER controls it
    findings = {v.name: v for v in ig.variables("XF", cls="Findings")}
    assert findings["XFTESTCD"].core == "Req" and findings["XFSTRESN"].type == "Num"
    with pytest.raises(UnknownStandardError, match="give its class"):
        ig.dataset_for("XB")
    with pytest.raises(UnknownStandardError, match="SDTMIG may define it"):
        ig.dataset_for("EG", cls="Findings")  # the bundled subset does not know EG, CDISC does

"""What the SDTM model says beyond one IG table: classes, their variables, split datasets.

SDTMIG lists each domain's variables, but the SDTM model lets a domain of a general
observation class (Interventions, Events, Findings) carry any identifier, timing or
qualifier variable of its class that the IG table leaves out (VISITNUM, EPOCH, --STRF,
--ENRTPT...): a validator that knows only the IG table flags those permissible
additions as unknown. The lists below are ours, written from the SDTM model (v1.4 to
v2.0 class tables) for the checks that need them, until the standards home provides
the model's own tables; "--" stands for the domain prefix.

A split dataset (SDTMIG 4.1.7) holds part of one domain: LBCH and LBHE are both
DOMAIN LB, and their supplemental qualifiers SUPPLBCH and SUPPLBHE have RDOMAIN LB.
"""

from __future__ import annotations

import re

INTERVENTIONS = "INTERVENTIONS"
EVENTS = "EVENTS"
FINDINGS = "FINDINGS"
GENERAL_CLASSES = (INTERVENTIONS, EVENTS, FINDINGS)
SPECIAL_PURPOSE = "SPECIAL-PURPOSE"
TRIAL_DESIGN = "TRIAL DESIGN"
RELATIONSHIP = "RELATIONSHIP"

# Identifiers every general-observation-class domain may have (SDTM model 2.2.4).
IDENTIFIERS = ("STUDYID", "DOMAIN", "USUBJID", "POOLID", "SPDEVID", "--SEQ", "--GRPID",
               "--REFID", "--SPID", "--LNKID", "--LNKGRP")
# Timing variables of all general observation classes (SDTM model 2.2.5).
TIMING = ("VISITNUM", "VISIT", "VISITDY", "TAETORD", "EPOCH", "--DTC", "--STDTC", "--ENDTC",
          "--DY", "--STDY", "--ENDY", "--NOMDY", "--NOMLBL", "--DUR", "--TPT", "--TPTNUM",
          "--ELTM", "--TPTREF", "--RFTDTC", "--STRF", "--ENRF", "--EVLINT", "--EVINTX",
          "--STRTPT", "--STTPT", "--ENRTPT", "--ENTPT", "--STINT", "--ENINT", "--DETECT",
          "--PTFL", "--PDUR", "MIDS", "MIDSDTC", "RELMIDS")
CLASS_QUALIFIERS = {
    INTERVENTIONS: (
        "--TRT", "--MODIFY", "--DECOD", "--MOOD", "--CAT", "--SCAT", "--PRESP", "--OCCUR",
        "--STAT", "--REASND", "--INDC", "--CLAS", "--CLASCD", "--DOSE", "--DOSTXT",
        "--DOSU", "--DOSFRM", "--DOSFRQ", "--DOSTOT", "--DOSRGM", "--ROUTE", "--LOT",
        "--LOC", "--LAT", "--DIR", "--PORTOT", "--FAST", "--PSTRG", "--PSTRGU", "--TRTV",
        "--VAMT", "--VAMTU", "--ADJ", "--RSDISC", "--CNTMOD", "--PSTRGN",
    ),
    EVENTS: (
        "--TERM", "--MODIFY", "--LLT", "--LLTCD", "--DECOD", "--PTCD", "--HLT", "--HLTCD",
        "--HLGT", "--HLGTCD", "--CAT", "--SCAT", "--PRESP", "--OCCUR", "--STAT", "--REASND",
        "--BODSYS", "--BDSYCD", "--SOC", "--SOCCD", "--LOC", "--LAT", "--DIR", "--PORTOT",
        "--PARTY", "--PRTYID", "--SEV", "--SER", "--ACN", "--ACNOTH", "--ACNDEV", "--REL",
        "--RELNST", "--PATT", "--OUT", "--SCAN", "--SCONG", "--SDISAB", "--SDTH", "--SHOSP",
        "--SLIFE", "--SOD", "--SMIE", "--CONTRT", "--TOX", "--TOXGR", "--UNPLAN",
    ),
    FINDINGS: (
        "--TESTCD", "--TEST", "--MODIFY", "--TSTDTL", "--CAT", "--SCAT", "--POS", "--BODSYS",
        "--ORRES", "--ORRESU", "--ORNRLO", "--ORNRHI", "--STRESC", "--STRESN", "--STRESU",
        "--STNRLO", "--STNRHI", "--STNRC", "--NRIND", "--RESCAT", "--STAT", "--REASND",
        "--XFN", "--NAM", "--LOINC", "--SPEC", "--ANTREG", "--SPCCND", "--SPCUFL", "--LOC",
        "--LAT", "--DIR", "--PORTOT", "--METHOD", "--RUNID", "--ANMETH", "--LEAD",
        "--CSTATE", "--BLFL", "--LOBXFL", "--FAST", "--DRVFL", "--EVAL", "--EVALID",
        "--ACPTFL", "--TOX", "--TOXGR", "--SEV", "--DTHREL", "--LLOQ", "--ULOQ", "--EXCLFL",
        "--REASEX", "--REPNUM", "--ORREF", "--STREFC", "--STREFN", "--RESSCL", "--RESTYP",
        "--COLSRT", "--TSTCND", "--CNDAGT", "--OBJ", "--TSTOPO", "--ORRESN",
    ),
}

# The class of each SDTMIG domain code, for domains whose IG table is not installed.
DOMAIN_CLASSES = {
    **dict.fromkeys(("DM", "CO", "SE", "SM", "SV"), SPECIAL_PURPOSE),
    **dict.fromkeys(("AG", "CM", "EC", "EX", "ML", "PR", "SU"), INTERVENTIONS),
    **dict.fromkeys(("AE", "BE", "CE", "DS", "DV", "HO", "MH"), EVENTS),
    **dict.fromkeys(("BS", "CP", "CV", "DA", "DD", "EG", "FA", "FT", "GF", "IE", "IS", "LB",
                     "MB", "MI", "MK", "MO", "MS", "NV", "OE", "PC", "PE", "PP", "QS", "RE",
                     "RP", "RS", "SC", "SR", "SS", "TR", "TU", "UR", "VS"), FINDINGS),
    **dict.fromkeys(("TA", "TD", "TE", "TI", "TM", "TS", "TV"), TRIAL_DESIGN),
    **dict.fromkeys(("RELREC", "RELSPEC", "RELSUB", "SUPPQUAL"), RELATIONSHIP),
}
TRIAL_DESIGN_DATASETS = ("TA", "TE", "TI", "TS", "TV")

_SPLIT = re.compile(r"^([A-Z]{2})[A-Z0-9]{1,2}$")
# A dataset, variable, QNAM or --TESTCD name: at most 8 upper-case letters, digits and
# underscores, not starting with a digit (SAS transport v5 names; SDTMIG 4.5.3, 8.4).
NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,7}")


_CLASS_NAMES = {"SPECIAL PURPOSE": SPECIAL_PURPOSE, "INTERVENTIONS": INTERVENTIONS,
                "EVENTS": EVENTS, "FINDINGS": FINDINGS, "FINDINGS ABOUT": FINDINGS,
                "TRIAL DESIGN": TRIAL_DESIGN, "RELATIONSHIP": RELATIONSHIP}


def class_of(domain: str, declared: str | None = None) -> str | None:
    """The observation class of a domain: define.xml's def:Class, else SDTMIG's for the code."""
    if declared:
        name = " ".join(declared.upper().replace("-", " ").split())
        if name in _CLASS_NAMES:
            return _CLASS_NAMES[name]
    return DOMAIN_CLASSES.get(domain)


def class_variables(cls: str | None, domain: str) -> frozenset[str]:
    """The variables a domain of class `cls` may carry by the SDTM model, with its prefix."""
    if cls not in GENERAL_CLASSES:
        return frozenset()
    prefix = domain[:2]
    return frozenset(name.replace("--", prefix) for name in (*IDENTIFIERS, *TIMING,
                                                              *CLASS_QUALIFIERS[cls]))


def split_domain(dataset: str, declared: str | None = None) -> str:
    """The domain a dataset holds: the name itself for an SDTMIG domain code, else (a split
    dataset such as LBCH, or a custom domain) its DOMAIN value when it has one, else the
    name's first two letters when they are a domain code, else the name."""
    if dataset in DOMAIN_CLASSES:
        return dataset
    if declared:
        return declared
    match = _SPLIT.match(dataset)
    if match and match.group(1) in DOMAIN_CLASSES:
        return match.group(1)
    return dataset


def expected_domain(dataset: str) -> str | None:
    """The DOMAIN a dataset's records must carry: its name, or for a split dataset (a domain
    code and up to two characters, SDTMIG 4.1.7) the code; None when the name allows both."""
    if dataset in DOMAIN_CLASSES or len(dataset) == 2:
        return dataset
    match = _SPLIT.match(dataset)
    if match and match.group(1) in DOMAIN_CLASSES:
        return match.group(1)
    return None

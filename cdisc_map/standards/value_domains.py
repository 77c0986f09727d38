"""Where a variable's values come from when it is not one CDISC codelist: dictionaries, and
codelists that depend on another variable.

Two pieces of SDTMIG 3.4 knowledge that define.xml needs, kept as data:

* the variables coded with an external dictionary: the MedDRA terms and codes of the
  events coded with it (AE, MH: --LLT, --DECOD, --HLT, --HLGT, --BODSYS, --SOC and their
  codes; ADaM copies keep the names), and the WHODrug medication name of CM (CMDECOD).
  MedDRA and WHODrug are licensed: cdisc-map never looks terms up, it only says which
  dictionary (and release, from study.yaml) the coded values come from;
* the codelist of DSDECOD, which depends on DSCAT (SDTMIG 3.4 DS, CT codelists NCOMPLT,
  PROTMLST and OTHEVENT): a disposition event takes its term from NCOMPLT, a protocol
  milestone from PROTMLST, another event from OTHEVENT.
"""

from __future__ import annotations

MEDDRA = "MedDRA"
WHODRUG = "WHODrug"

#: The event domains whose terms are coded with MedDRA, and the coded variables' suffixes.
MEDDRA_DOMAINS = ("AE", "MH")
MEDDRA_SUFFIXES = ("LLT", "LLTCD", "DECOD", "PTCD", "HLT", "HLTCD", "HLGT", "HLGTCD", "BODSYS", "BDSYCD", "SOC",
                   "SOCCD")
WHODRUG_VARIABLES = ("CMDECOD",)

#: Variable -> (the variable it depends on, {its value: the codelist's short name}).
CODELIST_BY_CONDITION: dict[str, tuple[str, dict[str, str]]] = {
    "DSDECOD": ("DSCAT", {"DISPOSITION EVENT": "NCOMPLT", "PROTOCOL MILESTONE": "PROTMLST",
                          "OTHER EVENT": "OTHEVENT"}),
}


def dictionary_variables(dictionary: str) -> frozenset[str]:
    """The variables (by name, in any dataset) a dictionary codes by default; none for one we do not know."""
    if dictionary.casefold() == MEDDRA.casefold():
        return frozenset(domain + suffix for domain in MEDDRA_DOMAINS for suffix in MEDDRA_SUFFIXES)
    if dictionary.casefold() == WHODRUG.casefold():
        return frozenset(WHODRUG_VARIABLES)
    return frozenset()


def condition_codelists(variable: str) -> tuple[str, dict[str, str]] | None:
    """The variable a variable's codelist depends on and the codelist per value, if the IG says so."""
    return CODELIST_BY_CONDITION.get(variable)

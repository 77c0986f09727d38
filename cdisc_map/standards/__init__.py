"""Standards knowledge kept as data: CDISC controlled terminology, SDTMIG and ADaMIG metadata.

The published standards are installed into a standards home (`home`) from the files
NCI EVS and the CDISC Library publish (`published`, `install`, `download`) and loaded
from there in a compact form (`store`): `load_ct`, `load_sdtmig`, `load_adamig`. What
the package carries of its own lives in `data/`: the SDTM model's general observation
class variables (`sdtm_model`), and a small subset of CT and SDTMIG metadata that lets
the bundled study run on a machine where nothing is installed. The bundled CT's
definitions are short paraphrases, not CDISC's wording, and every C-code that was not
checked against a published source carries "[C-code unverified]" in its definition.
"""

from cdisc_map.standards.codelists import Codelist, Term, Terminology
from cdisc_map.standards.home import NotInstalledError, StandardsHome
from cdisc_map.standards.metadata import (
    DatasetDefinition,
    DatasetMeta,
    Standard,
    UnknownStandardError,
    VariableMeta,
    available_sdtmig_versions,
    load_sdtmig,
)
from cdisc_map.standards.selection import Standards
from cdisc_map.standards.suggest import not_in_codelist, suggest_terms
from cdisc_map.standards.terminology import (
    available_ct_versions,
    bundled_ct,
    load_ct,
    load_ct_package,
)

__all__ = [
    "Codelist",
    "DatasetDefinition",
    "DatasetMeta",
    "NotInstalledError",
    "Standard",
    "Standards",
    "StandardsHome",
    "Term",
    "Terminology",
    "UnknownStandardError",
    "VariableMeta",
    "available_ct_versions",
    "available_sdtmig_versions",
    "bundled_ct",
    "load_ct",
    "load_ct_package",
    "load_sdtmig",
    "not_in_codelist",
    "suggest_terms",
]

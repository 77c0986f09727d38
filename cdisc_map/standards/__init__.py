"""Standards knowledge kept as data: SDTMIG variable metadata and CDISC CT.

The facts live in files under ``data/`` (CSV for the implementation guide, the
NCI EVS tab-delimited layout for controlled terminology) so that a standards
update is a data change, not a code change. The loaders here only read them.

The bundled CT is a subset of the published SDTM package. Its definitions are
short paraphrases, not CDISC's wording, and every C-code that was not checked
against a published source carries "[C-code unverified]" in its definition.
For submission work load the full published package with `load_ct_package`.
"""

from cdisc_map.standards.metadata import (
    DatasetMeta,
    Standard,
    UnknownStandardError,
    VariableMeta,
    available_sdtmig_versions,
    load_sdtmig,
)
from cdisc_map.standards.terminology import (
    Codelist,
    Term,
    Terminology,
    available_ct_versions,
    load_ct,
    load_ct_package,
)

__all__ = [
    "Codelist",
    "DatasetMeta",
    "Standard",
    "Term",
    "Terminology",
    "UnknownStandardError",
    "VariableMeta",
    "available_ct_versions",
    "available_sdtmig_versions",
    "load_ct",
    "load_ct_package",
    "load_sdtmig",
]

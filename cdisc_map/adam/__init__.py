"""ADaM: ADSL and ADTTE derived from SDTM (or ADaM) DataFrames by declarative specs.

`derive_tte(spec, datasets)` is the public entry for one time-to-event parameter;
`build_adsl(spec, sdtm)` builds the subject-level dataset. The `*_dataset` / `build_*`
functions return the records with their variable metadata (labels, types, formats)
and the problems found, for the pipeline, the XPT writer and define.xml.
"""

from cdisc_map.adam.adsl import adsl_dataset, build_adsl
from cdisc_map.adam.build import build_adam, load_adam_specs
from cdisc_map.adam.tte import AdamWarning, build_adtte, derive_tte, tte_method, tte_records
from cdisc_map.spec.check import check_tte_spec
from cdisc_map.spec.study import AdamSpecs

__all__ = [
    "AdamSpecs",
    "AdamWarning",
    "adsl_dataset",
    "build_adam",
    "build_adsl",
    "build_adtte",
    "check_tte_spec",
    "derive_tte",
    "load_adam_specs",
    "tte_method",
    "tte_records",
]

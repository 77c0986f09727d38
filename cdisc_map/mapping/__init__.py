"""The mapping engine shared by SDTM and ADaM: every kind and derivation of the registry,
evaluated column-wise over the records of one dataset. `apply_mapping` tries one mapping
on a few records, outside any study."""

from cdisc_map.mapping.apply import MappingWarning, apply_mapping

__all__ = ["MappingWarning", "apply_mapping"]

"""SDTM from a raw export: raw forms and joins, the build in dependency order, conformance
to SDTMIG metadata and the supplemental qualifiers."""

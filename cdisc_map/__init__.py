"""cdisc-map: raw clinical case data to SDTM/ADaM submission packages."""

__version__ = "0.1.0"

"""The mapping engine shared by SDTM and ADaM: every kind and derivation of the registry,
evaluated column-wise over the records of one dataset."""

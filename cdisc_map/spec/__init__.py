"""The spec language: YAML with line numbers, the study and dataset specs, conditions,
the registry of mapping kinds and derivations, the JSON Schemas and check-spec."""

"""YAML text for a person to finish: the data as a spec file, with comments where something is to fill in.

PyYAML writes data but no comments, and a starter spec is mostly comments about what
to write. Each top-level key is written on its own, and the entries of a
mapping-of-mappings (`variables:`, `supp:`) one by one, so a comment can sit on the
line above any of them. A short mapping or list of plain values is written on one
line (`{copy: AETERM}`), as the bundled specs are; a longer one in block style, so
that no line wraps. Y, N and the other words some YAML readers take for booleans are
quoted.
"""

from __future__ import annotations

from typing import Any

import yaml

WIDTH = 100
#: Plain words that YAML 1.1 readers other than PyYAML read as booleans.
_BOOLEAN_LIKE = {"y", "n", "yes", "no", "on", "off", "true", "false"}


class _Dumper(yaml.SafeDumper):
    """Flow style for short collections of plain values, block style for the rest."""


class _Block(dict):
    """A mapping always written in block style (the top of a file)."""


def _short(items: list[tuple[Any, Any]] | list[Any]) -> bool:
    values = [value for _key, value in items] if items and isinstance(items[0], tuple) else items
    if any(isinstance(value, dict | list) for value in values):
        return False
    return sum(len(str(part)) + 4 for item in items for part in (item if isinstance(item, tuple) else (item,))) < 70


def _mapping(dumper: yaml.SafeDumper, data: dict) -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(),
                                    flow_style=bool(data) and _short(list(data.items())))


def _sequence(dumper: yaml.SafeDumper, data: list) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=_short(data))


def _text(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if data.casefold() in _BOOLEAN_LIKE:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style='"')
    return dumper.represent_str(data)


_Dumper.add_representer(dict, _mapping)
_Dumper.add_representer(_Block, lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data.items(),
                                                                              flow_style=False))
_Dumper.add_representer(list, _sequence)
_Dumper.add_representer(str, _text)


def dump(value: dict[str, Any]) -> str:
    """A mapping as block YAML with short leaves on one line, as the bundled specs are written."""
    return yaml.dump(_Block(value), Dumper=_Dumper, sort_keys=False, width=WIDTH, allow_unicode=True,
                     default_flow_style=False)


def spec_text(data: dict[str, Any], comments: dict[tuple, list[str]] | None = None,
              header: list[str] | None = None) -> str:
    """`data` as a YAML file; `comments[(key,)]` and `comments[(key, entry)]` go on the lines above them."""
    comments = comments or {}
    lines = [f"# {line}" if line else "#" for line in header or []]
    for key, value in data.items():
        lines += [f"# {line}" for line in comments.get((key,), [])]
        entries = {trail[1] for trail in comments if len(trail) == 2 and trail[0] == key}
        if isinstance(value, dict) and value and entries:
            lines.append(f"{key}:")
            for name, inner in value.items():
                lines += [f"  # {line}" for line in comments.get((key, name), [])]
                lines += ["  " + line for line in dump({name: inner}).splitlines()]
        else:
            lines += dump({key: value}).splitlines()
    return "\n".join(lines) + "\n"

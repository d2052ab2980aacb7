"""YAML read fast, with the line of every key and value kept, for errors that name the line.

libyaml (through PyYAML's C parser) reads a 5,000-milestone rule file in well under a second,
where a pure-Python round-trip parser took several. Values resolve as YAML 1.2 does (`yes`,
`no`, `on` and `off` stay text; `010` is ten), so a title such as `No` is not read as a boolean.
A key given twice in one mapping is an error, never a silent choice of one of the two.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

# libyaml's C reader when PyYAML was built with it (every published wheel is); else pure Python.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LocatedMap(dict[Any, Any]):
    """A mapping with its own line and the line of each key and of each value (1-based)."""

    line: int
    key_lines: dict[Any, int]
    value_lines: dict[Any, int]

    def line_of_key(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)

    def line_of_value(self, key: Any) -> int:
        return self.value_lines.get(key, self.line_of_key(key))


class LocatedList(list[Any]):
    """A sequence with its own line and the line of each item (1-based)."""

    line: int
    item_lines: list[int]


class _Loader(_SafeLoader):  # type: ignore[misc, valid-type]
    """Safe values only (no Python objects); YAML 1.2 core scalars plus timestamps and merge
    keys, as most YAML readers keep them; mappings and lists that remember their lines."""

    yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = {}

    def resolve(self, kind: type[Node], value: Any, implicit: Any) -> str:
        """The tag of a plain scalar by its first character alone; the rest as PyYAML does.
        (PyYAML's own walk over path resolvers, which rule files never use, was half the time.)"""
        if kind is ScalarNode and implicit[0]:
            for tag, pattern in self.yaml_implicit_resolvers.get(value[:1], ()):
                if pattern.match(value):
                    return str(tag)
            return str(self.DEFAULT_SCALAR_TAG)
        return str(super().resolve(kind, value, implicit))

    def construct_yaml_int(self, node: Node) -> int:
        text = str(self.construct_scalar(node))
        if text.startswith(("0o", "0x")):
            return int(text[2:], 8 if text[1] == "o" else 16)
        return int(text, 10)

    def construct_located_map(self, node: MappingNode) -> Any:
        data = LocatedMap()
        data.line, data.key_lines, data.value_lines = node.start_mark.line + 1, {}, {}
        yield data
        own = sum(1 for key_node, _ in node.value if key_node.tag != "tag:yaml.org,2002:merge")
        self.flatten_mapping(node)  # merged pairs first, each overridden by the mapping's own
        merged = len(node.value) - own
        own_keys: set[Any] = set()
        for index, (key_node, value_node) in enumerate(node.value):
            key = self.construct_object(key_node)
            try:
                hash(key)
            except TypeError:
                raise ConstructorError("while constructing a mapping", node.start_mark,
                                       "found a key that is a list or a mapping",
                                       key_node.start_mark) from None
            value = self.construct_object(value_node)
            if index >= merged and key in own_keys:
                raise ConstructorError(None, None, f'found duplicate key "{key}" with value '
                                       f'"{value}" (original value: "{data[key]}")',
                                       key_node.start_mark)
            if index >= merged:
                own_keys.add(key)
            data[key] = value
            data.key_lines[key] = key_node.start_mark.line + 1
            data.value_lines[key] = value_node.start_mark.line + 1

    def construct_located_list(self, node: SequenceNode) -> Any:
        data = LocatedList()
        data.line = node.start_mark.line + 1
        data.item_lines = [item.start_mark.line + 1 for item in node.value]
        yield data
        data.extend(self.construct_object(item) for item in node.value)


for _tag, _pattern, _first in [
    ("bool", r"(?:true|True|TRUE|false|False|FALSE)\Z", "tTfF"),
    ("int", r"(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)\Z", "-+0123456789"),
    ("float", (r"(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\Z"), "-+0123456789."),
    ("null", r"(?:~|null|Null|NULL|)\Z", ["~", "n", "N", ""]),
    ("merge", r"<<\Z", "<"),
    ("timestamp", (r"[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?"
                   r"(?:(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?"
                   r"(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)?\Z"), "0123456789"),
]:
    _Loader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), list(_first))
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_located_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_located_list)


def load(text: str) -> Any:
    """One YAML document as plain values, LocatedMap and LocatedList; raises yaml.YAMLError
    (a ReaderError's position counts characters of `text`, whichever reader ran)."""
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    except ReaderError as error:
        if _SafeLoader is not yaml.SafeLoader:  # libyaml counts bytes of the UTF-8 text
            error.position = len(text.encode()[:error.position].decode("utf-8", "ignore"))
        raise
    finally:
        loader.dispose()

"""A checker for the JSON Schema subset `web/api/openapi.py` uses, so the API's tests
(and anyone curious) can hold every document to the published schemas without
a jsonschema dependency.

Understood: `$ref` (local `#/...`), `type` (one or a list; a bool is never an
integer or number), `enum`, `const`, `properties`, `required`,
`additionalProperties` (false or a schema), `items`, `anyOf`, `minimum`,
`maximum`, and `format` date-time / date / uri. Anything else in a schema is a
mistake in the schema and raises, rather than passing silently.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

_KNOWN = frozenset(
    {
        "$ref",
        "type",
        "enum",
        "const",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "anyOf",
        "minimum",
        "maximum",
        "format",
        "description",
        "title",
        "examples",
    }
)


class SchemaMismatch(ValueError):
    """The instance does not match; the message starts with the JSON path."""


def validate(instance: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> None:
    """Raise SchemaMismatch at the first mismatch; `root` resolves `$ref`s."""
    _check(instance, schema, root, "$")


def _check(value: Any, schema: Mapping[str, Any], root: Mapping[str, Any], path: str) -> None:
    unknown = set(schema) - _KNOWN
    if unknown:
        raise ValueError(f"{path}: schema keywords not understood: {sorted(unknown)}")
    if "$ref" in schema:
        _check(value, _resolve(root, schema["$ref"]), root, path)
    if "anyOf" in schema:
        _any_of(value, schema["anyOf"], root, path)
    if "type" in schema:
        _type(value, schema["type"], path)
    if "enum" in schema and value not in schema["enum"]:
        raise SchemaMismatch(f"{path}: {value!r} is not one of {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        raise SchemaMismatch(f"{path}: {value!r} is not {schema['const']!r}")
    if isinstance(value, dict):
        _object(value, schema, root, path)
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            _check(item, schema["items"], root, f"{path}[{index}]")
    _bounds(value, schema, path)
    if "format" in schema and isinstance(value, str):
        _format(value, schema["format"], path)


def _resolve(root: Mapping[str, Any], ref: str) -> Mapping[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError(f"only local references are understood, got {ref}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node  # type: ignore[no-any-return]


def _any_of(value: Any, options: list[Any], root: Mapping[str, Any], path: str) -> None:
    problems = []
    for option in options:
        try:
            _check(value, option, root, path)
        except SchemaMismatch as problem:
            problems.append(str(problem))
        else:
            return
    raise SchemaMismatch(f"{path}: matches none of anyOf: {'; '.join(problems)}")


_TYPES: dict[str, Callable[[Any], bool]] = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def _type(value: Any, wanted: str | list[str], path: str) -> None:
    names = [wanted] if isinstance(wanted, str) else wanted
    if not any(_TYPES[name](value) for name in names):
        raise SchemaMismatch(f"{path}: {type(value).__name__} {value!r:.60} is not {wanted}")


def _object(
    value: dict[str, Any], schema: Mapping[str, Any], root: Mapping[str, Any], path: str
) -> None:
    properties = schema.get("properties", {})
    for name in schema.get("required", ()):
        if name not in value:
            raise SchemaMismatch(f"{path}: required field {name!r} is missing")
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if name in properties:
            _check(item, properties[name], root, f"{path}.{name}")
        elif extra is False:
            raise SchemaMismatch(f"{path}: field {name!r} is not in the schema")
        elif isinstance(extra, Mapping):
            _check(item, extra, root, f"{path}.{name}")


def _bounds(value: Any, schema: Mapping[str, Any], path: str) -> None:
    if not _TYPES["number"](value):
        return
    if "minimum" in schema and value < schema["minimum"]:
        raise SchemaMismatch(f"{path}: {value} is below {schema['minimum']}")
    if "maximum" in schema and value > schema["maximum"]:
        raise SchemaMismatch(f"{path}: {value} is above {schema['maximum']}")


def _format(value: str, name: str, path: str) -> None:
    try:
        if name == "date-time":
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if parsed.tzinfo is None or "T" not in value:
                raise ValueError("not a timezone-aware date-time")
        elif name == "date":
            date.fromisoformat(value)
        elif name == "uri":
            if not value.startswith(("http://", "https://")):
                raise ValueError("not an http(s) URI")
        else:
            raise LookupError(name)
    except LookupError:
        raise ValueError(f"{path}: format {name!r} is not understood") from None
    except ValueError as problem:
        raise SchemaMismatch(f"{path}: {value!r} is not a {name}: {problem}") from None

"""Make a webhook example valid against octokit's schema for one event and action.

Used by ``gen_github_events.py`` only. The examples octokit publishes are real deliveries,
some from before the schema required a field (``repository.is_template``...); some actions
have no example at all (``issues.closed``). ``Fixer.repair`` edits a copy of a body until
the schema's validator reports nothing: a missing required field is borrowed from another
example where one validates (so it looks real), else built from the schema; a value of the
wrong type or outside an enum is replaced the same way; a field the schema forbids is
removed. Nothing the schema requires is ever removed.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

MAX_FIXES = 400


class Fixer:
    def __init__(self, schema: dict[str, Any], examples: dict[str, list[dict[str, Any]]]) -> None:
        self.definitions: dict[str, Any] = schema["definitions"]
        self._validators: dict[str, Draft7Validator] = {}
        #: every value seen under each key in every example, the event's own examples first
        self._bank: dict[str, dict[str, list[Any]]] = {}
        for event, bodies in examples.items():
            bank: dict[str, list[Any]] = {}
            for body in bodies:
                _collect(body, bank)
            self._bank[event] = bank

    # -- validators ---------------------------------------------------------------------
    def definition(self, event: str, action: str | None) -> str:
        """The schema definition a body of EVENT with ACTION must validate against."""
        for name in (f"{event}${action}", f"{event}$event", f"{event}_event"):
            if name in self.definitions:
                return name
        raise KeyError(f"octokit's schema has no definition for {event} {action}")

    def validator(self, schema: dict[str, Any]) -> Draft7Validator:
        key = json.dumps(schema, sort_keys=True)
        found = self._validators.get(key)
        if found is None:
            found = Draft7Validator({**schema, "definitions": self.definitions})
            self._validators[key] = found
        return found

    def for_definition(self, name: str) -> Draft7Validator:
        return self.validator({"$ref": f"#/definitions/{name}"})

    def errors(self, body: Any, name: str) -> list[ValidationError]:
        return list(self.for_definition(name).iter_errors(body))

    # -- repair ---------------------------------------------------------------------------
    def repair(self, body: dict[str, Any], name: str, event: str, now: str) -> dict[str, Any]:
        """A copy of BODY valid against definition NAME; NOW fills new date-times."""
        doc = copy.deepcopy(body)
        for _ in range(MAX_FIXES):
            errs = self.errors(doc, name)
            if not errs:
                return doc
            self._fix(doc, _leaf(errs[0]), event, now)
        raise RuntimeError(f"{name}: still invalid after {MAX_FIXES} fixes")

    def _fix(self, doc: dict[str, Any], err: ValidationError, event: str, now: str) -> None:
        path = list(err.absolute_path)
        kind = err.validator
        if kind == "required":
            missing = [k for k in err.validator_value if k not in err.instance]
            key = missing[0]
            schema = err.schema.get("properties", {}).get(key, {})
            err.instance[key] = self.value_for(key, schema, event, now)
        elif kind == "additionalProperties":
            allowed = set(err.schema.get("properties", {}))
            for key in [k for k in err.instance if k not in allowed]:
                del err.instance[key]
        elif kind in ("enum", "const"):
            options = [err.validator_value] if kind == "const" else err.validator_value
            value = next((o for o in options if o is not None), options[0])
            _set(doc, path, copy.deepcopy(value))
        elif kind in ("type", "minimum", "maxLength", "pattern", "minItems", "not"):
            key = str(path[-1]) if path and isinstance(path[-1], str) else ""
            _set(doc, path, self.value_for(key, err.schema, event, now, avoid=err.instance))
        else:
            raise RuntimeError(f"cannot fix {kind} at {path}: {err.message}")

    def value_for(
        self, key: str, schema: dict[str, Any], event: str, now: str, avoid: Any = None
    ) -> Any:
        """A value for KEY valid against SCHEMA: from an example when one fits, else made."""
        resolved = self.resolve(schema)
        if resolved.get("format") == "date-time" or "date-time" in _formats(resolved, self):
            return now
        check = self.validator(schema)
        if (key.endswith("_at") or key == "timestamp") and check.is_valid(now):
            return now  # a time set by this action is the time of the event
        for value in self._candidates(key, event):
            if value != avoid and check.is_valid(value):
                return copy.deepcopy(value)
        return self.synth(schema, now)

    def _candidates(self, key: str, event: str) -> Iterator[Any]:
        yield from self._bank.get(event, {}).get(key, [])
        for other, bank in self._bank.items():
            if other != event:
                yield from bank.get(key, [])

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.definitions[schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def synth(self, schema: dict[str, Any], now: str) -> Any:
        """The plainest value SCHEMA accepts: null where allowed, else the required shape."""
        s = self.resolve(schema)
        if "const" in s:
            return s["const"]
        if "enum" in s:
            return next((o for o in s["enum"] if o is not None), None)
        for combo in ("oneOf", "anyOf"):
            if combo in s:
                branches = [self.resolve(b) for b in s[combo]]
                if any(b.get("type") == "null" for b in branches):
                    return None
                return self.synth(branches[0], now)
        types = s.get("type", "object")
        if isinstance(types, list):
            if "null" in types:
                return None
            types = types[0]
        if types == "object":
            props = s.get("properties", {})
            return {k: self.synth(props.get(k, {}), now) for k in s.get("required", [])}
        if types == "array":
            return []
        if types == "string":
            fmt = s.get("format")
            if fmt == "date-time":
                return now
            return "https://github.com" if fmt in ("uri", "uri-template") else ""
        if types in ("integer", "number"):
            return max(1, int(s.get("minimum", 1)))
        if types == "boolean":
            return False
        return None


def _formats(schema: dict[str, Any], fixer: Fixer) -> set[str]:
    out = set()
    for combo in ("oneOf", "anyOf"):
        for branch in schema.get(combo, []):
            fmt = fixer.resolve(branch).get("format")
            if fmt:
                out.add(fmt)
    return out


def _leaf(err: ValidationError) -> ValidationError:
    """The error to fix first: inside a oneOf/anyOf, the branch that is closest to valid
    (fewest errors; an object branch for an object), then its first error."""
    while err.context:
        branches: dict[int, list[ValidationError]] = {}
        for sub in err.context:
            branches.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
        best = min(branches.values(), key=lambda errs: (_type_mismatch(errs), len(errs)))
        err = best[0]
    return err


def _type_mismatch(errs: Iterable[ValidationError]) -> bool:
    return any(e.validator == "type" and not e.relative_path for e in errs)


def _set(doc: Any, path: list[Any], value: Any) -> None:
    if not path:
        raise RuntimeError("cannot replace the whole body")
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value


def _collect(obj: Any, bank: dict[str, list[Any]]) -> None:
    if isinstance(obj, dict):
        for key, value in obj.items():
            seen = bank.setdefault(key, [])
            if len(seen) < 40 and value not in seen:
                seen.append(value)
            _collect(value, bank)
    elif isinstance(obj, list):
        for item in obj:
            _collect(item, bank)

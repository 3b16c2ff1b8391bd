"""The config a Pulumi program receives, built the way the engine builds it.

Before the program starts, `pulumi preview` and `pulumi up` merge the project's config
declarations into the stack's (pulumi/pulumi `pkg/workspace/config.go`: `mergeConfig`, called
by `ValidateStackConfigAndApplyProjectConfig`, at v3.276.0):
- every key Pulumi.yaml declares with a `default` (or `value`) that the stack file lacks is
  set to it (the default wins over the value when a key has both); primitives as text (`%v`:
  30, true), arrays and objects as JSON (`createConfigValue`);
- a declared key with neither, in the project's namespace, missing from the stack is an error
  (`missingStackConfigurationKeysError`);
- every declared key with a `type` is then checked against it (`validateStackConfigValue`,
  with `ValidateConfigValue` and `InferFullTypeName` of `sdk/go/common/workspace/project.go`):
  a string is any text, an integer text that parses as one, a boolean exactly `true` or
  `false`, an array a JSON list whose items pass their own type.
Loading Pulumi.yaml itself refuses a default of the wrong type (`Project.Validate`).

The engine stops at the first problem; here every one is listed, each in the engine's words.
Object values are JSON as Go's encoding/json writes them (compact, `<>&` escaped).
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from shipyard_cli.stack_files import (
    ENCRYPTED,
    config_value,
    project_config_declarations,
    project_name,
)

KIND_ADVICE = {
    "string": "text",
    "integer": "a whole number",
    "boolean": "true or false",
    "array": 'a list like ["A", "B"]',
}


class ConfigTypeError(Exception):
    """The engine would refuse this config before the program runs; one problem per key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(
            f"{len(problems)} problem(s) Pulumi refuses before the program runs; nothing was "
            f"deployed:\n{listing}"
        )


def is_object(value: Any) -> bool:
    """Whether the engine keeps this value as an object (JSON) rather than as text."""
    return isinstance(value, list | dict | float)


def type_name(declared: Mapping[str, Any]) -> str:
    """InferFullTypeName: `integer`, `array<string>`..."""
    items = declared.get("items")
    return f"array<{type_name(items)}>" if items else str(declared.get("type"))


def valid(declared: Mapping[str, Any], content: Any) -> bool:
    """ValidateConfigValue: does `content` (text, or a parsed JSON value) pass the type?"""
    kind = declared.get("type")
    if kind == "string":
        return isinstance(content, str)
    if kind == "integer":
        if isinstance(content, bool):
            return False
        if isinstance(content, int):
            return True
        if isinstance(content, float):
            return math.isfinite(content) and content == math.trunc(content)
        return isinstance(content, str) and _atoi(content)
    if kind == "boolean":
        return content in ("true", "false") or isinstance(content, bool)
    if kind == "object":
        return isinstance(content, dict)
    items = declared.get("items")
    return (
        isinstance(content, list)
        and isinstance(items, Mapping)
        and all(valid(items, item) for item in content)
    )


def _atoi(text: str) -> bool:
    """strconv.Atoi: an optional sign and decimal digits only, within 64 bits."""
    digits = text[1:] if text[:1] in "+-" else text
    return digits.isascii() and digits.isdigit() and -(2**63) <= int(text) < 2**63


def _holds_encrypted(value: Any) -> bool:
    if value == ENCRYPTED:
        return True
    if isinstance(value, list):
        return any(_holds_encrypted(item) for item in value)
    if isinstance(value, dict):
        return any(_holds_encrypted(item) for item in value.values())
    return False


def _qualified(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def default_problems(project_dir: Path) -> list[str]:
    """Project.Validate: a declared default that is not of its declared type."""
    project = project_name(project_dir)
    problems = []
    for key, declared in sorted(project_config_declarations(project_dir).items()):
        if declared.get("type") == "array" and not declared.get("items"):
            problems.append(
                f"{_qualified(project, key)}: The configuration key '{key}' declares an array "
                "but does not specify the underlying type via the 'items' attribute "
                "(Pulumi.yaml)"
            )
        elif (
            declared.get("type")
            and declared.get("default") is not None
            and not valid(declared, declared["default"])
        ):
            problems.append(
                f"{_qualified(project, key)}: The default value specified for "
                f"configuration key '{key}' is not of the expected type "
                f"'{type_name(declared)}' (Pulumi.yaml); make the default "
                f"{KIND_ADVICE.get(str(declared.get('type')), 'of that type')}"
            )
    return problems


def engine_config(
    stack: str,
    stack_values: Mapping[str, Any],
    project_dir: Path,
    secret_keys: Collection[str] = (),
) -> dict[str, str]:
    """The config the program receives for `stack`, from the values its stack file sets.

    `stack_values` are qualified keys (`shipyard:cpu`) with values as YAML gives them: text,
    numbers, booleans, None, lists and maps (ENCRYPTED where a `secure:` value could not be
    decrypted). Raises ConfigTypeError with every problem the engine would refuse the stack
    with; the type of a value that could not be decrypted is not checked (the engine decrypts
    first, so only it can).
    """
    project = project_name(project_dir)
    problems = default_problems(project_dir)
    merged: dict[str, Any] = dict(stack_values)
    missing = []
    declarations = project_config_declarations(project_dir)
    for key, declared in sorted(declarations.items()):
        full_key = _qualified(project, key)
        if full_key in merged:
            continue
        if declared.get("default") is not None:
            merged[full_key] = declared["default"]
        elif declared.get("value") is not None:
            merged[full_key] = declared["value"]
        elif full_key.startswith(f"{project}:"):
            missing.append(key)
    if missing:
        problems += [
            f"{_qualified(project, key)}: Stack '{stack}' is missing configuration value "
            f"'{key}'; set it in the stack file"
            for key in missing
        ]
    for key, declared in sorted(declarations.items()):
        full_key = _qualified(project, key)
        if not declared.get("type") or full_key not in merged:
            continue
        value = merged[full_key]
        if full_key in secret_keys and _holds_encrypted(value):
            continue
        content = value if is_object(value) else config_value(value)
        if not valid(declared, content):
            problems.append(_type_problem(stack, key, full_key, declared, content))
    if problems:
        raise ConfigTypeError(problems)
    return {key: config_value(value) for key, value in merged.items()}


def _type_problem(
    stack: str, key: str, full_key: str, declared: Mapping[str, Any], content: Any
) -> str:
    """The engine's words, then what to write instead; never the value (it may be secret)."""
    kind = KIND_ADVICE.get(str(declared.get("type")), "a value of that type")
    advice = f"it has no value: set {kind}, or remove the key" if content == "" else (
        f"write {kind}"
    )
    if declared.get("type") == "boolean" and isinstance(content, str):
        advice += " (YAML's yes, no, on and off are text to Pulumi)"
    return (
        f"{full_key}: Stack '{stack}' with configuration key '{key}' must be of type "
        f"'{type_name(declared)}'; {advice}"
    )


def stack_file_values(
    cli_config: Mapping[str, str], project_dir: Path
) -> dict[str, Any]:
    """Config as `pulumi config` lists it (every value text, objects as JSON) back to the
    values a stack file holds: the project's array keys as lists where their text is one."""
    project = project_name(project_dir)
    arrays = {
        _qualified(project, key)
        for key, declared in project_config_declarations(project_dir).items()
        if declared.get("type") == "array"
    }
    values: dict[str, Any] = {}
    for key, text in cli_config.items():
        values[key] = text
        if key in arrays and isinstance(text, str):
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError:
                continue
            if isinstance(parsed, list):
                values[key] = parsed
    return values

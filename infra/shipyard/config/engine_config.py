"""The config a Pulumi program receives, built the way the engine builds it.

Before the program starts, `pulumi preview` and `pulumi up` merge the project's config
declarations into the stack's (pulumi/pulumi `pkg/workspace/config.go`: `mergeConfig`, called
by `ValidateStackConfigAndApplyProjectConfig`, at v3.276.0):
- every key Pulumi.yaml declares with a `default` (or `value`) that the stack file lacks is
  set to it: strings, whole numbers and booleans as text (`%v`: 30, true), anything else
  (lists, maps, other numbers) as JSON (`createConfigValue`);
- a declared key with neither, in the project's namespace, missing from the stack is an error
  (`missingStackConfigurationKeysError`);
- every declared key with a `type` is then checked against it (`validateStackConfigValue`,
  with `ValidateConfigValue` and `InferFullTypeName` of `sdk/go/common/workspace/project.go`):
  a string is any text, an integer text that parses as one, a boolean exactly `true` or
  `false`, an array a JSON list whose items pass their own type.
Loading Pulumi.yaml refuses a key with both a default and a value, a default of the wrong
type, an array without `items`, and a type or default on a key outside the project's
namespace, which must have a value instead (`Project.Validate`). A key declared `secret`
must be set encrypted.

The engine stops at the first problem; here every one is listed, each in the engine's words.
Object values are JSON as Go's encoding/json writes them (compact, `<>&` escaped).
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from shipyard.config.parse import SettingsError
from shipyard.config.stack_files import (
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


class ConfigTypeError(SettingsError):
    """The engine would refuse this config before the program runs; one problem per key."""

    WHERE = "Pulumi refuses before the program runs"


def is_object(value: Any, from_project: bool = False) -> bool:
    """Whether the engine keeps this value as an object (JSON) rather than as text. A stack
    file's number is text (config.Value's MarshalString); a Pulumi.yaml default that is not
    a string, whole number or boolean is an object (createConfigValue)."""
    if isinstance(value, list | dict):
        return True
    return from_project and isinstance(value, float)


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


def project_problems(project_dir: Path) -> list[str]:
    """Project.Validate's refusals of Pulumi.yaml's config declarations."""
    project = project_name(project_dir)
    problems = []
    for key, declared in sorted(project_config_declarations(project_dir).items()):
        full_key, kind = _qualified(project, key), declared.get("type")
        has_default = declared.get("default") is not None
        has_value = declared.get("value") is not None
        said = ""
        if has_default and has_value:
            said = f"project config '{key}' cannot have both a 'default' and 'value' attribute"
        elif not full_key.startswith(f"{project}:"):
            if kind:
                said = (f"Configuration key '{key}' is not namespaced by the project and "
                        "should not define a type")  # fmt: skip
            elif has_default:
                said = (f"Configuration key '{key}' is not namespaced by the project and should "
                        "not define a default value. Did you mean to use the 'value' attribute "
                        "instead of 'default'?")  # fmt: skip
            elif not has_value:
                said = (f"Configuration key '{key}' is namespaced and must provide an "
                        "attribute 'value'")  # fmt: skip
        elif kind == "array" and not declared.get("items"):
            said = (f"The configuration key '{key}' declares an array but does not specify the "
                    "underlying type via the 'items' attribute")  # fmt: skip
        elif kind and has_default and not valid(declared, declared["default"]):
            said = (f"The default value specified for configuration key '{key}' is not of the "
                    f"expected type '{type_name(declared)}'; make the default "
                    f"{KIND_ADVICE.get(str(kind), 'of that type')}")  # fmt: skip
        if said:
            problems.append(f"{full_key}: {said} (Pulumi.yaml)")
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
    problems = project_problems(project_dir)
    merged: dict[str, Any] = dict(stack_values)
    from_project: set[str] = set()
    missing = []
    declarations = project_config_declarations(project_dir)
    for key, declared in sorted(declarations.items()):
        full_key = _qualified(project, key)
        if full_key in merged:
            continue
        if declared.get("default") is not None:
            merged[full_key] = declared["default"]
            from_project.add(full_key)
        elif declared.get("value") is not None:
            merged[full_key] = declared["value"]
            from_project.add(full_key)
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
        if declared.get("secret") and full_key not in secret_keys:
            problems.append(
                f"{full_key}: Stack '{stack}' with configuration key '{key}' must be encrypted "
                f"as it's secret; set it with `pulumi config set --secret {full_key} ...`"
            )
        if full_key in secret_keys and _holds_encrypted(value):
            continue
        objects = is_object(value, full_key in from_project)
        content = value if objects else config_value(value)
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

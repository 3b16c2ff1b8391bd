"""Stack files (stacks/Pulumi.<env>.yaml) read as the Pulumi CLI reads them.

Pulumi parses YAML 1.2 (Go's yaml.v3): only true/false are booleans (an unquoted `yes` is the
string "yes"), a repeated key is an error, and an empty or null value is an empty string.
A key without a namespace belongs to the project (`memory` is `shipyard:memory` here).
Every value reaches the program as a string; lists and maps as JSON. PyYAML's defaults
(YAML 1.1) differ on each point, so this module has its own loader.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml


class StackFileError(Exception):
    """The stack file is not YAML Pulumi would load; the message names the file and line."""


class PulumiYamlLoader(yaml.SafeLoader):
    """YAML 1.2's core schema as far as Pulumi's config cares: booleans, null, the rest text."""


PulumiYamlLoader.yaml_implicit_resolvers = {}
PulumiYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)
PulumiYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)


def _mapping_without_duplicates(loader: PulumiYamlLoader, node: yaml.MappingNode) -> dict:
    """A key set twice is refused, as Pulumi refuses the file; or, where the loader notes
    them (`duplicates`), noted with the last value kept, so every other problem is found too."""
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            problem = (
                f"line {key_node.start_mark.line + 1}: {key} is set twice (first on line "
                f"{seen[key]}); Pulumi refuses the file; keep one"
            )
            noted = getattr(loader, "duplicates", None)
            if noted is None:
                raise StackFileError(problem)
            noted.append(problem)
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=True)


PulumiYamlLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates
)


class PulumiConfigLoader(PulumiYamlLoader):
    """Pulumi.yaml and stack files as Go's yaml.v3 reads config values: numbers too (a
    number in a list is not a string, and `1.0` on an integer key is 1)."""


# Integers as Go's strconv.ParseInt(text, 0, 64) reads them (yaml.v3): decimal, 0x, 0o, 0b,
# and a leading 0 for octal; floats as yaml.v3's float pattern.
GO_INT = re.compile(r"^[-+]?(?:0[bB][01]+|0[oO]?[0-7]+|0[xX][0-9a-fA-F]+|[1-9][0-9]*|0)$")
GO_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
PulumiConfigLoader.add_implicit_resolver("tag:yaml.org,2002:int", GO_INT, list("-+0123456789"))
PulumiConfigLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", GO_FLOAT, list("-+.0123456789")
)


def _go_int(loader: PulumiConfigLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    sign, digits = (-1, text[1:]) if text[:1] == "-" else (1, text.lstrip("+"))
    if len(digits) > 1 and digits[0] == "0" and digits[1].isdigit():
        return sign * int(digits, 8)
    return sign * int(digits, 0)


PulumiConfigLoader.add_constructor("tag:yaml.org,2002:int", _go_int)


# What a `secure:` value reads as here, where nothing decrypts it (`shipyard validate`).
ENCRYPTED = "(encrypted)"


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"}


def without_ciphertext(value: Any) -> Any:
    """A config value with each `secure:` leaf replaced by ENCRYPTED."""
    if _is_secure(value):
        return ENCRYPTED
    if isinstance(value, list):
        return [without_ciphertext(item) for item in value]
    if isinstance(value, dict):
        return {key: without_ciphertext(item) for key, item in value.items()}
    return value


def _holds_secure(value: Any) -> bool:
    if _is_secure(value):
        return True
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return any(_holds_secure(item) for item in items)


def config_value(value: Any) -> str:
    """A stack file's or Pulumi.yaml's value as the program receives it: text for primitives
    (null is ""; a number as Go's JSON writes it: 1.0 is "1"), JSON for lists and maps, as
    Go's json.Marshal writes them (pulumi/pulumi sdk/go/common/resource/config:
    object.MarshalString; createConfigValue)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return str(value)
    return go_json(value)


def go_json(value: Any) -> str:
    """JSON as Go's json.Marshal writes it: compact, map keys sorted, <, > and & escaped."""
    text = json.dumps(
        whole_numbers(value), separators=(",", ":"), sort_keys=True, ensure_ascii=False
    )
    for char, escaped in GO_JSON_ESCAPES:
        text = text.replace(char, escaped)
    return text


GO_JSON_ESCAPES = (
    ("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
    ("\u2028", "\\u2028"), ("\u2029", "\\u2029"),
)  # fmt: skip


def whole_numbers(value: Any) -> Any:
    """Whole floats as integers, through lists and maps: as Go's JSON writes them (1.0 is 1),
    and as APIs take numbers the engine hands a dynamic provider as floats (protobuf's
    double; botocore refuses 100.0 where an integer belongs)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, list):
        return [whole_numbers(item) for item in value]
    if isinstance(value, dict):
        return {key: whole_numbers(item) for key, item in value.items()}
    return value


def _project(project_dir: Path) -> dict[str, Any]:
    """Pulumi.yaml, parsed once per version of the file (every evaluation reads it, and
    its config declarations make it the largest YAML here). Read-only for callers."""
    path = project_dir / "Pulumi.yaml"
    stat = path.stat()
    return _parsed_project(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _parsed_project(path: Path, _mtime_ns: int, _size: int) -> dict[str, Any]:
    return _load(path)


def project_name(project_dir: Path) -> str:
    return str(_project(project_dir)["name"])


def project_config_declarations(project_dir: Path) -> dict[str, dict[str, Any]]:
    """Pulumi.yaml's `config:` block: each declared key (as written there) and its type,
    description, default or value. Read-only for callers."""
    declared = _project(project_dir).get("config") or {}
    return {str(key): value or {} for key, value in declared.items()}


def project_default(project_dir: Path, key: str) -> str:
    """The default Pulumi.yaml declares for one of the project's config keys (`serviceName`)."""
    return config_value(project_config_declarations(project_dir).get(key, {}).get("default"))


def configured(config: Mapping[str, str], project_dir: Path, key: str) -> str:
    """A stack's value of one of the project's keys (`serviceName`), or the default
    Pulumi.yaml declares when the stack sets none."""
    return config.get(f"{project_name(project_dir)}:{key}") or project_default(project_dir, key)


def read_stack_config(path: Path, project: str) -> dict[str, str]:
    """The `config:` block of a stack file, keys qualified and values as strings; an
    encrypted value reads as ENCRYPTED."""
    return {
        key: config_value(without_ciphertext(value))
        for key, value in _config_block(path, project).items()
    }


# `duplicates` below: as _config_block's (keys set twice noted there, not refused).


def stack_values(
    path: Path, project: str, duplicates: list[str] | None = None
) -> dict[str, Any]:
    """The `config:` block of a stack file as YAML gives it, keys qualified: text, numbers,
    booleans, None, lists and maps; an encrypted value or leaf reads as ENCRYPTED."""
    block = _config_block(path, project, duplicates)
    return {key: without_ciphertext(value) for key, value in block.items()}


def secure_keys(path: Path, project: str, duplicates: list[str] | None = None) -> set[str]:
    """The keys of a stack file that hold an encrypted (`secure:`) value or leaf."""
    block = _config_block(path, project, duplicates)
    return {key for key, value in block.items() if _holds_secure(value)}


def plaintext_secret_values(
    path: Path, project: str, duplicates: list[str] | None = None
) -> list[str]:
    """Problems of a stack file whose secretValues holds an entry that is not encrypted:
    the engine marks the whole key secret when any entry is, so only the file tells."""
    entries = _config_block(path, project, duplicates).get(f"{project}:secretValues")
    if not isinstance(entries, list):
        return []
    return [
        f"{project}:secretValues[{index}]: is in {path.name} in plain text; remove it and set "
        f"it with `pulumi config set --secret --path '{project}:secretValues[{index}]' "
        "NAME=value`"
        for index, entry in enumerate(entries)
        if not _is_secure(entry)
    ]


def _yaml_error(path: Path, error: yaml.YAMLError) -> str:
    """One line: the file, where, what was expected (and what it was inside of)."""
    if not isinstance(error, yaml.MarkedYAMLError) or error.problem_mark is None:
        return f"{path.name} is not valid YAML: {' '.join(str(error).split())}"
    mark = error.problem_mark
    inside = ""
    if error.context and error.context_mark is not None:
        inside = (f" ({error.context}, from line {error.context_mark.line + 1} column "
                  f"{error.context_mark.column + 1})")  # fmt: skip
    return (f"{path.name} line {mark.line + 1} column {mark.column + 1}: not valid YAML: "
            f"{error.problem}{inside}")  # fmt: skip


def _load(path: Path, duplicates: list[str] | None = None) -> Any:
    loader = PulumiConfigLoader(path.read_text())
    if duplicates is not None:
        loader.duplicates = duplicates  # type: ignore[attr-defined]
    try:
        return loader.get_single_data()
    except StackFileError as error:
        raise StackFileError(f"{path.name} {error}") from None
    except yaml.YAMLError as error:
        raise StackFileError(_yaml_error(path, error)) from None
    finally:
        loader.dispose()


def _config_block(
    path: Path, project: str, duplicates: list[str] | None = None
) -> dict[str, Any]:
    """`duplicates`: note keys set twice there (the last value kept) instead of refusing."""
    noted: list[str] | None = None if duplicates is None else []
    document = _load(path, noted) or {}
    if duplicates is not None and noted:
        duplicates.extend(f"{path.name} {problem}" for problem in noted)
    if not isinstance(document, dict):
        raise StackFileError(f"{path.name}: expected a mapping with a config: block")
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise StackFileError(f"{path.name}: config: must be a mapping of key: value")
    return {
        (str(key) if ":" in str(key) else f"{project}:{key}"): value
        for key, value in config.items()
    }


def program_project_dir() -> Path:
    """The project of the running Pulumi program: the nearest directory holding Pulumi.yaml,
    from the working directory up. Pulumi starts a program in its project directory, or in
    `main` (infra/) where Pulumi.yaml sets it (pulumi/pulumi#20305)."""
    here = Path.cwd()
    return next((path for path in (here, *here.parents) if (path / "Pulumi.yaml").is_file()), here)


def stack_file(project_dir: Path, stack: str) -> Path:
    """Where a stack's config lives (Pulumi.yaml's stackConfigDir)."""
    return project_dir / "stacks" / f"Pulumi.{stack}.yaml"


def stack_names(project_dir: Path) -> list[str]:
    """Every stack with a stack file: stacks/Pulumi.<name>.yaml."""
    return sorted(
        path.name[len("Pulumi.") : -len(".yaml")]
        for path in (project_dir / "stacks").glob("Pulumi.*.yaml")
    )


def environment_names(project_dir: Path) -> list[str]:
    """The stacks that are environments: all but the service stack (kind: service)."""
    project = project_name(project_dir)
    names = []
    for name in stack_names(project_dir):
        try:
            config = read_stack_config(stack_file(project_dir, name), project)
            kind = config.get("shipyard:kind", "environment")
        except StackFileError:
            kind = "environment"  # shipyard validate says what is wrong with it
        if kind != "service":
            names.append(name)
    return names

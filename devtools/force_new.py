"""Which input changes replace a resource, as the real AWS provider decides: the properties
terraform-provider-aws marks `ForceNew` (SDKv2 resources) or `RequiresReplace` (Plugin
Framework resources), read from the provider's source.

Which source: pulumi-aws pins its upstream as a git submodule, so no go.mod names the
commit 7.51.1 bridges, and the Go module proxy here serves one snapshot of the module,
5f2286d6d836 (2026-06-02, between v6.47.1 and v6.48.0; pulumi-aws upgraded to v6.46.0 in
May and 7.51.1 is later). A ForceNew added upstream since is missing from the table.

pulumi-aws's published schema does not carry this (a bridged provider decides replacements
in its Diff), so the table is made from the Terraform provider's source by
`scripts/force-new-table`, kept in devtools/force_new.json, and read by the local cloud's
Diff. tests/engine/test_force_new.py checks it covers every AWS type the program registers.

The source is parsed, not run: a schema entry is `"name": {` (or `names.AttrX: {`, or a
framework `name: schema.XAttribute{`), and a `ForceNew: true` or `RequiresReplace...()`
line belongs to the innermost entry open around it. Entries reached through a helper
function outside the resource's own schema are not followed (the table names them).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

TABLE = Path(__file__).with_name("force_new.json")
# pulumi-aws's tokens whose Terraform names its module and name do not spell.
TERRAFORM_NAMES = {
    "aws:lb/loadBalancer:LoadBalancer": "aws_lb",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "aws_iam_openid_connect_provider",
}
ENTRY = re.compile(r'^(\t*)(?:"([a-z0-9_]+)"|names\.(\w+)|([a-z0-9_]+)): (?:\{|schema\.\w+\{)$')
HELPER = re.compile(r'^(\t*)(?:"([a-z0-9_]+)"|names\.(\w+)|([a-z0-9_]+)): \w+\(\),$')
CLOSE = re.compile(r"^(\t*)\}[,)]*$")
REPLACES = re.compile(r"^\t*ForceNew:\s+true,|RequiresReplace(?:IfConfigured)?\(\)")
SDK_SCHEMA = re.compile(
    r"^(\t*)(?:Schema: map\[string\]\*schema\.Schema\{|SchemaFunc: func\(\) map\[string\]"
    r"\*schema\.Schema \{)$"
)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def terraform_candidates(token: str) -> list[str]:
    if token in TERRAFORM_NAMES:
        return [TERRAFORM_NAMES[token]]
    module, name = token.split(":")[1].split("/")
    return [f"aws_{snake(module)}_{snake(name)}", f"aws_{snake(name)}"]


def _constants(source: Path) -> dict[str, str]:
    text = (source / "names" / "attr_consts_gen.go").read_text()
    return dict(re.findall(r'\b(Attr\w+)\s*=\s*"([^"]+)"', text))


def _registered(source: Path) -> dict[str, tuple[Path, str, str]]:
    """Terraform resource name -> (package dir, factory, kind: sdk or framework)."""
    found: dict[str, tuple[Path, str, str]] = {}
    for generated in source.glob("internal/service/*/service_package_gen.go"):
        text = generated.read_text()
        for kind, function in (("sdk", "SDKResources"), ("framework", "FrameworkResources")):
            match = re.search(rf"\) {function}\(ctx context.Context\)(.*?)\n}}\n", text, re.S)
            if not match:
                continue
            for factory, name in re.findall(
                r'Factory:\s+(\w+),\s*\n\s*TypeName:\s+"(aws_\w+)"', match.group(1)
            ):
                found[name] = (generated.parent, factory, kind)
    return found


def _function_body(package: Path, pattern: str) -> list[str]:
    for path in sorted(package.glob("*.go")):
        if path.name.endswith("_test.go"):
            continue
        lines = path.read_text().splitlines()
        for index, line in enumerate(lines):
            if re.match(pattern, line):
                indent = line[: len(line) - len(line.lstrip("\t"))]
                end = next(
                    i for i in range(index + 1, len(lines)) if lines[i].startswith(f"{indent}}}")
                )
                return lines[index : end + 1]
    return []


def _name(match: re.Match[str], constants: dict[str, str]) -> str:
    return match.group(2) or match.group(4) or constants.get(match.group(3), match.group(3))


def _unfollowed(lines: list[str], constants: dict[str, str]) -> list[str]:
    """Entries whose schema a helper function returns (not read)."""
    return sorted(
        {_name(match, constants) for line in lines
        if (match := HELPER.match(line))}
    )  # fmt: skip


def _paths(lines: list[str], constants: dict[str, str]) -> list[tuple[str, ...]]:
    """The schema entries, as paths of names, that a replace marker belongs to."""
    open_entries: list[tuple[int, str]] = []
    replaced: set[tuple[str, ...]] = set()
    for line in lines:
        entry = ENTRY.match(line)
        if entry:
            indent = len(entry.group(1))
            open_entries.append((indent, _name(entry, constants)))
            continue
        closing = CLOSE.match(line)
        if closing and open_entries and len(closing.group(1)) == open_entries[-1][0]:
            open_entries.pop()
            continue
        if REPLACES.search(line) and open_entries:
            replaced.add(tuple(name for _, name in open_entries))
    return sorted(replaced)


def _sdk_schema(package: Path, factory: str) -> list[str]:
    body = _function_body(package, rf"^func {factory}\(\) \*schema\.Resource \{{$")
    starts = [(len(m.group(1)), i) for i, line in enumerate(body) if (m := SDK_SCHEMA.match(line))]
    if not starts:  # a schema kept in a function or a variable of its own
        named = next((m.group(1) for line in body if (m := re.search(
            r"Schema(?:Func)?:\s+(?:maps\.Clone\()?(\w+)", line))), None)  # fmt: skip
        if named is None:
            return []
        return _function_body(package, rf"^func {named}\(\)") or _function_body(
            package, rf"^\t*{named}\s+=\s+map\[string\]\*schema\.Schema\{{$"
        )
    # The resource's current schema: the outermost one, last (earlier ones are the schemas
    # of state upgraders).
    outermost = min(indent for indent, _ in starts)
    start = [i for indent, i in starts if indent == outermost][-1]
    end = next(i for i in range(start + 1, len(body)) if body[i] == "\t" * outermost + "},")
    return body[start : end + 1]


def _framework_schema(package: Path, factory: str) -> list[str]:
    constructor = _function_body(package, rf"^func {factory}\(")
    made = next((m.group(1) for line in constructor if (m := re.search(r"&(\w+)\{", line))), "")
    return _schema_method(package, made)


def _schema_method(package: Path, type_name: str) -> list[str]:
    """The type's Schema method, or that of a struct it embeds."""
    method = _function_body(package, rf"^func \(\w+ \*{type_name}\) Schema\(")
    if method:
        return method
    definition = _function_body(package, rf"^type {type_name} struct \{{$")
    for line in definition[1:-1]:
        embedded = re.fullmatch(r"\t(\w+)", line)
        if embedded and (found := _schema_method(package, embedded.group(1))):
            return found
    return []


def build(source: Path, tokens: list[str], origin: str) -> dict[str, Any]:
    constants, registered = _constants(source), _registered(source)
    resources: dict[str, Any] = {}
    for token in sorted(tokens):
        name = next((n for n in terraform_candidates(token) if n in registered), None)
        if name is None:
            raise SystemExit(f"{token}: no Terraform resource named {terraform_candidates(token)}")
        package, factory, kind = registered[name]
        lines = (_sdk_schema if kind == "sdk" else _framework_schema)(package, factory)
        if not lines:
            raise SystemExit(f"{token}: schema of {name} ({factory}) not found")
        resources[token] = {
            "terraform": name,
            "replace": [".".join(path) for path in _paths(lines, constants)],
            "unfollowed": _unfollowed(lines, constants),
        }
    return {"source": origin, "resources": resources}


def registered_aws_types() -> list[str]:
    """Every AWS type the program registers in any shipped stack."""
    from devtools import pulumi_mocks
    from devtools.engine import ROOT
    from shipyard.config.stack_files import stack_names

    return sorted({
        typ for stack in stack_names(ROOT)
        for typ, _ in pulumi_mocks.evaluate(stack).inputs_by_key() if typ.startswith("aws:")
    })  # fmt: skip


def main(argv: list[str]) -> int:
    source, origin = argv
    table = build(Path(source), registered_aws_types(), origin)
    TABLE.write_text(json.dumps(table, indent=1) + "\n")
    print(f"{len(table['resources'])} resource types from {origin} -> {TABLE}")
    return 0


# ---- read by the local cloud ---------------------------------------------------------------


def load() -> dict[str, list[tuple[str, ...]]]:
    table = json.loads(TABLE.read_text())["resources"]
    return {
        token: [tuple(path.split(".")) for path in entry["replace"]]
        for token, entry in table.items()
    }


def _at(value: Any, path: tuple[str, ...]) -> Any:
    """The values at a nested path: Pulumi shows a one-item block as a map, others as lists
    (named in the plural)."""
    if not path:
        return value
    if isinstance(value, list):
        return [_at(item, path) for item in value]
    if isinstance(value, dict):
        head = camel(path[0])
        return _at(value.get(head, value.get(f"{head}s")), path[1:])
    return None


def replaced(paths: list[tuple[str, ...]], olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
    """The changed top-level inputs whose change replaces the resource."""
    keys = []
    for key in sorted({*olds, *news}):
        if olds.get(key) == news.get(key):
            continue
        name = snake(key)
        for path in paths:
            if path[0] not in (name, name.removesuffix("s")):
                continue
            if _at(olds.get(key), path[1:]) != _at(news.get(key), path[1:]):
                keys.append(key)
                break
    return keys


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

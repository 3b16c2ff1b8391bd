"""Container secrets (docs/secrets.md): what reaches ECS and the instances, what each role may
read, and that no plaintext value is in a resource input, an output or the user data."""

from __future__ import annotations

import base64
import functools
import json
import subprocess
from pathlib import Path

import pytest

from devtools import pulumi_mocks
from shipyard.config import aws_limits
from shipyard.config.secret_references import parse_entry
from shipyard.program.components import iam
from shipyard.program.user_data import BootContainer, render_user_data

from .conftest import SHIPPED_STACKS, evaluated, looked_up_key_arn, refused

ACCOUNT, REGION = pulumi_mocks.ACCOUNT, pulumi_mocks.REGION
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
PARAMETER = "aws:ssm/parameter:Parameter"
KEY, ALIAS = "aws:kms/key:Key", "aws:kms/alias:Alias"
# Made up for the tests; what `pulumi config set --secret` would hold decrypted.
PLAINTEXT = "test-only-plaintext-7f3a9c"
STACKS_WITH_SECRETS = ("staging", "qa")


def secret_arn(env: str, name: str) -> str:
    return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:shipyard-sample/{env}/{name}"


def parameter_arn(env: str, name: str) -> str:
    return f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/shipyard-sample/{env}/{name}"


def expected_value_from(env: str) -> dict[str, str]:
    return {
        "API_KEY": parameter_arn(env, "API_KEY"),
        "DATABASE_PASSWORD": secret_arn(env, "database-AbCdEf") + ":password::",
        "SESSION_KEY": secret_arn(env, "session-key-Gh1jKl"),
        "SMTP_PASSWORD": parameter_arn(env, "smtp-password"),
    }


@functools.cache
def with_kept_value(stack: str) -> pulumi_mocks.Evaluation:
    """A shipped stack with a value kept by Pulumi added as its stack file's comment says:
    the bare name API_KEY in secrets, its value set with `pulumi config set --secret`."""
    config = pulumi_mocks.stack_config(stack)
    config["shipyard:secrets"] = [*config["shipyard:secrets"], "API_KEY"]
    config["shipyard:secretValues"] = [f"API_KEY={PLAINTEXT}"]
    return pulumi_mocks.evaluate(stack, config=config, secret_keys={"shipyard:secretValues"})


def starting_role_statements(evaluation: pulumi_mocks.Evaluation) -> list[dict]:
    """The statements of the role that starts the container: execution role or instance role."""
    on_ec2 = bool(evaluation.of_type("aws:ec2/launchTemplate:LaunchTemplate"))
    role = "-instance" if on_ec2 else "-execution"
    (policy,) = [p for p in evaluation.of_type(ROLE_POLICY) if p.name.endswith(role)]
    return json.loads(policy.inputs["policy"])["Statement"]


def test_ecs_container_gets_each_secret_by_reference():
    task_definition = with_kept_value("staging").one(TASK_DEFINITION)
    (container,) = json.loads(task_definition.inputs["containerDefinitions"])
    assert {s["name"]: s["valueFrom"] for s in container["secrets"]} == expected_value_from(
        "staging"
    )
    assert [s["name"] for s in container["secrets"]] == sorted(expected_value_from("staging"))
    # Neither a reference nor a value among the plain variables.
    assert not {v["name"] for v in container["environment"]} & set(expected_value_from("staging"))


@pytest.mark.parametrize("stack", STACKS_WITH_SECRETS)
def test_the_starting_role_reads_exactly_the_referenced_secrets(stack):
    evaluation = with_kept_value(stack)
    statements = starting_role_statements(evaluation)
    by_actions = {tuple(s["Action"]): s for s in statements}
    expected = expected_value_from(stack)
    parameters = [expected["API_KEY"], expected["SMTP_PASSWORD"]]
    secrets = [secret_arn(stack, "database-AbCdEf"), secret_arn(stack, "session-key-Gh1jKl")]
    assert by_actions[("ssm:GetParameter", "ssm:GetParameters")]["Resource"] == parameters
    assert by_actions[("secretsmanager:GetSecretValue",)]["Resource"] == secrets
    decrypts = [s for s in statements if s["Action"] == ["kms:Decrypt"]]
    own_key = [s for s in decrypts if "*" not in s["Resource"][0]]
    assert [s["Resource"] for s in own_key] == [[looked_up_key_arn(stack)]]
    assert own_key[0]["Condition"] == {
        "StringEquals": {"kms:ViaService": f"ssm.{REGION}.amazonaws.com"}
    }
    # The keys of values stored by hand are their owners' choice: any key of the account,
    # only through the service, only for exactly these values.
    by_context = {
        next(k for k in s["Condition"]["StringEquals"] if "EncryptionContext" in k): s
        for s in decrypts
        if s not in own_key
    }
    assert by_context["kms:EncryptionContext:PARAMETER_ARN"]["Condition"]["StringEquals"] == {
        "kms:ViaService": f"ssm.{REGION}.amazonaws.com",
        "kms:EncryptionContext:PARAMETER_ARN": [expected["SMTP_PASSWORD"]],
    }
    assert by_context["kms:EncryptionContext:SecretARN"]["Condition"]["StringEquals"] == {
        "kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com",
        "kms:EncryptionContext:SecretARN": secrets,
    }
    for statement in decrypts:
        assert statement["Resource"][0].startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/")
    # No statement reads anything else of Parameter Store or Secrets Manager.
    reads = [s for s in statements if s["Action"][0].startswith(("ssm:", "secretsmanager:"))]
    assert len(reads) == 2


@pytest.mark.parametrize("stack", STACKS_WITH_SECRETS)
def test_values_pulumi_keeps_are_secure_strings_under_the_environments_own_key(stack):
    evaluation = with_kept_value(stack)
    # The key is the service stack's (tests/infra/test_service_stack.py), found by alias.
    assert evaluation.of_type(KEY) == [] and evaluation.of_type(ALIAS) == []
    assert ("aws:kms/getKey:getKey", {"keyId": f"alias/shipyard-sample-{stack}"}) in [
        (token, {k: v for k, v in args.items() if k == "keyId"})
        for token, args in evaluation.calls
    ]
    parameter = evaluation.resources[(PARAMETER, f"shipyard-sample-{stack}-secret-API_KEY")]
    assert parameter.inputs["name"] == f"/shipyard-sample/{stack}/API_KEY"
    assert parameter.inputs["type"] == "SecureString"
    assert parameter.inputs["tier"] == "Standard"
    assert parameter.inputs["keyId"] == looked_up_key_arn(stack)
    assert parameter.shown_inputs["value"] == "[secret]"
    assert "insecureValue" not in parameter.inputs
    # The service or group starts only once the parameter exists.
    compute = "aws:autoscaling/group:Group" if stack == "qa" else "aws:ecs/service:Service"
    (started,) = evaluation.of_type(compute)
    assert (PARAMETER, parameter.name) in started.dependencies


@pytest.mark.parametrize("stack", STACKS_WITH_SECRETS)
def test_no_plaintext_value_in_any_input_that_is_not_secret_or_in_an_output(stack):
    evaluation = with_kept_value(stack)
    parameter = evaluation.resources[(PARAMETER, f"shipyard-sample-{stack}-secret-API_KEY")]
    # It does reach the parameter, marked secret (the mock engine keeps the SDK's marker).
    assert PLAINTEXT in json.dumps(parameter.inputs["value"])
    leaks = [key for key, record in evaluation.resources.items()
             if PLAINTEXT in json.dumps(record.shown_inputs)]  # fmt: skip
    assert leaks == []
    assert PLAINTEXT not in json.dumps(evaluation.outputs)
    if stack == "qa":
        template = evaluation.one("aws:ec2/launchTemplate:LaunchTemplate")
        assert PLAINTEXT not in base64.b64decode(template.inputs["userData"]).decode()


def is_secret_grant(statement: dict) -> bool:
    return statement["Action"][0].startswith(("ssm:", "secretsmanager:", "kms:"))


def with_parameters(stack: str, count: int, name: str = "", **config: object) -> dict:
    """The stack file of `stack` referencing `count` parameters, evaluated as stack `name`."""
    service = str(config.get("shipyard:serviceName", "shipyard-sample"))
    path = f"/{service}/{name or stack}"
    return {
        **pulumi_mocks.stack_config(stack),
        **config,
        "shipyard:secrets": [f"S{i}={path}/parameter-{i:03d}" for i in range(count)],
    }


@pytest.mark.parametrize("stack", ["dev", "qa"])
def test_the_starting_role_policy_but_its_secrets_stays_within_its_bound(stack):
    """The bound the secret count is checked with (iam.STARTING_ROLE_BASE_CHARACTERS) holds
    for the longest service name, stack name and region there are."""
    name = f"{stack}-europe-west-one"
    config = with_parameters(
        stack, 1, name, **{"shipyard:serviceName": "s" * 20, "aws:region": "us-isof-south-1"}
    )
    evaluation = pulumi_mocks.evaluate(name, config=config)
    statements = starting_role_statements(evaluation)
    base = iam.policy_characters([s for s in statements if not is_secret_grant(s)])
    assert 400 < base <= iam.STARTING_ROLE_BASE_CHARACTERS


@pytest.mark.parametrize(("stack", "role"), [("dev", "task execution"), ("qa", "instance")])
def test_secrets_past_iams_cap_on_a_roles_inline_policies_are_refused_by_count(
    stack, role, monkeypatch
):
    config = with_parameters(stack, 60)
    _, problems = refused(stack, "shipyard:secrets", config=config)
    (problem,) = problems
    assert f"60 secrets make the {role} role's policy about" in problem
    assert "over IAM's 10,240 for a role's inline policies" in problem
    assert "JSON keys" in problem
    estimate = int(problem.split("about ")[1].split(" ")[0])
    # What the program would have made: the estimate never counts less, and counts more
    # by no more than the bound's headroom.
    monkeypatch.setattr(aws_limits, "ROLE_INLINE_POLICY_CHARS", 10**6)
    made = iam.policy_characters(
        starting_role_statements(pulumi_mocks.evaluate(stack, config=config))
    )
    assert 10_240 < made <= estimate <= made + 400
    # One grant per secret even for several JSON keys of it: 60 keys of one secret fit.
    monkeypatch.undo()
    one_secret = secret_arn(stack, "many-AbCdEf")
    config["shipyard:secrets"] = [f"K{i}={one_secret}:key{i}::" for i in range(60)]
    statements = starting_role_statements(pulumi_mocks.evaluate(stack, config=config))
    (read,) = [s for s in statements if s["Action"] == ["secretsmanager:GetSecretValue"]]
    assert read["Resource"] == [one_secret]


def test_as_many_secrets_as_fit_are_accepted():
    evaluation = pulumi_mocks.evaluate("dev", config=with_parameters("dev", 55))
    assert iam.policy_characters(starting_role_statements(evaluation)) <= 10_240


@pytest.mark.parametrize("stack", sorted(set(SHIPPED_STACKS) - set(STACKS_WITH_SECRETS)))
def test_stacks_without_secrets_get_no_key_no_parameters_and_no_grants(stack):
    evaluation = evaluated(stack)
    assert evaluation.of_type(KEY) == [] and evaluation.of_type(ALIAS) == []
    assert [p.name for p in evaluation.of_type(PARAMETER)] == [f"shipyard-sample-{stack}-release"]
    (container,) = json.loads(evaluation.one(TASK_DEFINITION).inputs["containerDefinitions"])
    assert "secrets" not in container
    assert not [s for s in starting_role_statements(evaluation) if "kms:Decrypt" in s["Action"]]


# ---- the boot script, run for real with recording stand-ins ----------------------------------

# A fake aws answers from FAKE_<id> variables (its own environment only), a fake docker
# records what `run` hands the container through --env-file. Every call's argv is logged:
# what the host's process list would show.
FAKES = r"""#!/bin/bash
name="$(basename "$0")"
{ printf '%s' "$name"; printf ' %s' "$@"; printf '\n'; } >> "$CALL_LOG"
case "$name $*" in
  "aws ssm get-parameter"*|"aws secretsmanager get-secret-value"*)
    args=("$@"); id=""
    for ((i = 0; i < ${#args[@]}; i++)); do
      case "${args[$i]}" in --name|--secret-id) id="${args[$((i + 1))]}" ;; esac
    done
    variable="FAKE_$(printf '%s' "$id" | tr -c 'A-Za-z0-9' '_')"
    if [ -z "${!variable+set}" ]; then echo "ResourceNotFoundException: $id" >&2; exit 254; fi
    printf '%s\n' "${!variable}" ;;
  "docker run"*)
    args=("$@")
    for ((i = 0; i < ${#args[@]}; i++)); do
      if [ "${args[$i]}" = --env-file ]; then cat "${args[$((i + 1))]}" >> "$CONTAINER_ENV"; fi
    done ;;
  "curl "*api/token*) echo "imds-token" ;;
  "curl "*instance-id*) echo "i-0123456789abcdef0" ;;
esac
exit 0
"""
LOGGED = r"""#!/bin/bash
name="$(basename "$0")"
{ printf '%s' "$name"; printf ' %s' "$@"; printf '\n'; } >> "$CALL_LOG"
exec "/usr/bin/$name" "$@"
"""
SECRETS = tuple(
    parse_entry(entry, "web", "qa")
    for entry in (
        "DATABASE_PASSWORD=arn:aws:secretsmanager:eu-west-1:123456789012:secret:"
        "web/qa/database-AbCdEf:password::",
        "SESSION_KEY=arn:aws:secretsmanager:eu-west-1:123456789012:secret:web/qa/session-Gh1jKl",
        "SMTP_PASSWORD=/web/qa/smtp-password",
        "API_KEY",
    )
)
VALUES = {
    "DATABASE_PASSWORD": "db-pass $(reboot) 'quoted' \"x\" =;",
    "SESSION_KEY": "session-value-9d8c",
    "SMTP_PASSWORD": "smtp-value-4b2e",
    "API_KEY": "api-value-1a7f",
}


def fake_aws(values: dict[str, str]) -> dict[str, str]:
    """What the fake aws answers: each id as the boot script asks for it."""
    answers = {
        secret_arn_of("DATABASE_PASSWORD"): json.dumps(
            {"username": "app", "password": values["DATABASE_PASSWORD"]}
        ),
        secret_arn_of("SESSION_KEY"): values["SESSION_KEY"],
        "/web/qa/smtp-password": values["SMTP_PASSWORD"],
        "/web/qa/API_KEY": values["API_KEY"],
    }
    return {
        "FAKE_" + "".join(c if c.isalnum() else "_" for c in key): value
        for key, value in answers.items()
    }


def secret_arn_of(variable: str) -> str:
    (reference,) = [s for s in SECRETS if s.variable == variable]
    return reference.arn("", "")


def run_with_secrets(tmp_path: Path, answers: dict[str, str]):
    stand_ins = tmp_path / "bin"
    stand_ins.mkdir()
    fake = stand_ins / "fake"
    fake.write_text(FAKES)
    fake.chmod(0o755)
    for tool in ("dnf", "systemctl", "aws", "docker", "curl", "sleep", "mount", "mkdir",
                 "mountpoint"):  # fmt: skip
        (stand_ins / tool).symlink_to(fake)
    # The real tools that handle values: their argv is logged too (the process list).
    logged = stand_ins / "logged"
    logged.write_text(LOGGED)
    logged.chmod(0o755)
    for tool in ("python3", "iconv"):
        (stand_ins / tool).symlink_to(logged)
    script = tmp_path / "user-data.sh"
    script.write_text(
        render_user_data(
            BootContainer(
                image_ref="123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:" + "c" * 64,
                port=9000, environment=(("PORT", "9000"),), stop_timeout=10,
                log_group_name="/shipyard/web-qa", region="eu-west-1",
                health_check_path="/health", group_name="web-qa", boot_timeout=31,
                secrets=SECRETS,
            )
        )
    )  # fmt: skip
    container_env = tmp_path / "container" / "environment"
    container_env.parent.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    completed = subprocess.run(
        ["/bin/bash", str(script)], cwd=work,
        env={"PATH": f"{stand_ins}:/usr/bin:/bin", "CALL_LOG": str(tmp_path / "calls.log"),
             "CONTAINER_ENV": str(container_env), "HOME": str(work), "TMPDIR": str(work),
             **answers},
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    calls = (tmp_path / "calls.log").read_text().splitlines()
    received = container_env.read_text() if container_env.exists() else ""
    return completed, calls, received, script


def files_holding(root: Path, values: list[str], skip: Path) -> list[str]:
    return [
        str(path)
        for path in root.rglob("*")
        if path.is_file() and path != skip and any(v in path.read_text() for v in values)
    ]


def test_boot_script_hands_every_value_to_the_container_and_nowhere_else(tmp_path):
    completed, calls, received, script = run_with_secrets(tmp_path, fake_aws(VALUES))
    assert completed.returncode == 0, completed.stderr
    assert sorted(received.splitlines()) == sorted(f"{k}={v}" for k, v in VALUES.items())
    # Each value as it is, and as it sits inside the secret's JSON (quotes escaped).
    values = [*VALUES.values(), *(json.dumps(v)[1:-1] for v in VALUES.values())]
    # Not in any argument (the process list), the output (the instance's logs), the user
    # data, or a file the script wrote.
    assert not [call for call in calls if any(v in call for v in values)]
    assert [call for call in calls if call.startswith("python3 -c")]  # it was watched too
    assert not any(v in completed.stdout + completed.stderr for v in values)
    assert not any(v in script.read_text() for v in values)
    assert files_holding(tmp_path, values, skip=tmp_path / "container" / "environment") == []
    (run,) = [call for call in calls if call.startswith("docker run")]
    assert " --env-file /dev/fd/" in run
    # Docker's own copy of the environment is in memory: its state is tmpfs before it starts.
    mounts = [i for i, call in enumerate(calls) if call.startswith("mount -t tmpfs")]
    assert [calls[i].split()[-1] for i in mounts] == [
        "/var/lib/docker/containers", "/var/lib/containerd"
    ]  # fmt: skip
    # Before Docker's package is installed (it may start containerd), and checked.
    assert max(mounts) < calls.index("dnf install -y docker")
    assert calls[max(mounts) + 1] == "mountpoint -q /var/lib/containerd"
    # Each is read by name or ARN, decrypted; a JSON key from the secret's whole value.
    assert (
        "aws ssm get-parameter --region eu-west-1 --with-decryption --name /web/qa/API_KEY "
        "--query Parameter.Value --output text"
    ) in calls
    assert (
        f"aws secretsmanager get-secret-value --region eu-west-1 --secret-id "
        f"{secret_arn_of('DATABASE_PASSWORD')} --query SecretString --output text"
    ) in calls


def test_a_missing_secret_abandons_the_launch_before_the_container_starts(tmp_path):
    answers = fake_aws(VALUES)
    answers.pop(next(k for k in answers if "session" in k))
    completed, calls, received, _ = run_with_secrets(tmp_path, answers)
    assert completed.returncode != 0
    assert "ResourceNotFoundException" in completed.stderr
    assert calls[-1].endswith("--lifecycle-action-result ABANDON")
    assert not [call for call in calls if call.startswith("docker run")] and received == ""


def test_a_value_of_several_lines_abandons_naming_the_variable_not_the_value(tmp_path):
    values = {**VALUES, "SMTP_PASSWORD": "first-line-5e\nsecond-line-6f"}
    completed, calls, received, _ = run_with_secrets(tmp_path, fake_aws(values))
    assert completed.returncode != 0
    assert "the value of secret SMTP_PASSWORD has several lines" in completed.stderr
    assert "first-line-5e" not in completed.stderr + completed.stdout
    assert calls[-1].endswith("--lifecycle-action-result ABANDON") and received == ""


SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:web/prod/db-AbCdEf"


@pytest.mark.parametrize(
    ("entry", "kind", "name", "value_from"),
    [
        ("A=/web/prod/a", "ssm", "/web/prod/a",
         "arn:aws:ssm:us-east-1:123456789012:parameter/web/prod/a"),
        ("A=plain-name", "ssm", "plain-name",
         "arn:aws:ssm:us-east-1:123456789012:parameter/plain-name"),
        ("A=arn:aws:ssm:us-east-1:123456789012:parameter/web/prod/a", "ssm", "/web/prod/a",
         "arn:aws:ssm:us-east-1:123456789012:parameter/web/prod/a"),
        (f"A={SECRET}", "secretsmanager", "web/prod/db-AbCdEf", SECRET),
        (f"A={SECRET}:password::", "secretsmanager", "web/prod/db-AbCdEf",
         f"{SECRET}:password::"),
        (f"A={SECRET}::AWSPREVIOUS:", "secretsmanager", "web/prod/db-AbCdEf",
         f"{SECRET}::AWSPREVIOUS:"),
        (f"A={SECRET}:::0f1e2d3c-aaaa", "secretsmanager", "web/prod/db-AbCdEf",
         f"{SECRET}:::0f1e2d3c-aaaa"),
        ("API_KEY", "pulumi", "/web/prod/API_KEY",
         "arn:aws:ssm:us-east-1:123456789012:parameter/web/prod/API_KEY"),
    ],
)  # fmt: skip
def test_each_form_of_reference_gives_the_value_from_ecs_takes(entry, kind, name, value_from):
    reference = parse_entry(entry, "web", "prod")
    assert (reference.kind, reference.name) == (kind, name)
    assert reference.value_from("us-east-1", "123456789012") == value_from


def test_a_reference_naming_no_key_stage_or_version_is_refused():
    with pytest.raises(ValueError, match="names no JSON key, stage or version"):
        parse_entry(f"A={SECRET}:::", "web", "prod")


def test_a_value_that_is_not_utf8_abandons_naming_the_variable(tmp_path):
    answers = fake_aws(VALUES)
    answers["FAKE__web_qa_smtp_password"] = "latin-1 caf\udce9 5c"  # an undecodable byte
    completed, calls, received, _ = run_with_secrets(tmp_path, answers)
    assert completed.returncode != 0
    assert "the value of secret SMTP_PASSWORD is not UTF-8 text" in completed.stderr
    assert "latin-1" not in completed.stderr + completed.stdout
    assert calls[-1].endswith("--lifecycle-action-result ABANDON") and received == ""


def test_a_binary_secret_abandons_the_launch(tmp_path):
    answers = fake_aws(VALUES)
    session = next(k for k in answers if "session" in k)
    answers[session] = "None"  # what `--query SecretString --output text` prints for one
    completed, calls, received, _ = run_with_secrets(tmp_path, answers)
    assert completed.returncode != 0
    assert "has no text value (SecretString)" in completed.stderr
    assert calls[-1].endswith("--lifecycle-action-result ABANDON") and received == ""

"""The EC2 target: the shipped ec2 stack's resources, its bad settings, and its boot script."""

from __future__ import annotations

import base64
import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devtools import pulumi_mocks
from shipyard.config import SettingsError
from shipyard.config.secret_references import parse_entry
from shipyard.program.components.ec2_service import AMAZON_LINUX_AMI_PARAMETER
from shipyard.program.user_data import BootContainer, render_user_data

from .conftest import EC2_STACKS, SERVICE_STACKS, SHIPPED_STACKS, evaluated, rejected
from .test_stacks import (
    ALARM,
    INGRESS,
    LISTENER,
    NAT,
    ROLE,
    ROLE_POLICY,
    SCALING_POLICY,
    SUBNET,
    TARGET_GROUP,
)

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
GROUP = "aws:autoscaling/group:Group"
LIFECYCLE_HOOK = "aws:autoscaling/lifecycleHook:LifecycleHook"
EC2_POLICY = "aws:autoscaling/policy:Policy"
PROFILE = "aws:iam/instanceProfile:InstanceProfile"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ROLLOUT_WAIT = "pulumi-python:dynamic/shipyard:InstanceRefreshWait"
PREFIX = "shipyard-sample-qa"


@pytest.fixture
def qa() -> pulumi_mocks.Evaluation:
    return evaluated("qa")


def boot_script(evaluation: pulumi_mocks.Evaluation) -> str:
    return base64.b64decode(evaluation.one(LAUNCH_TEMPLATE).inputs["userData"]).decode()


def test_every_shipped_stack_file_is_evaluated_by_the_tests():
    files = {path.name for path in pulumi_mocks.STACKS_DIR.glob("Pulumi.*.yaml")}
    assert files == {f"Pulumi.{stack}.yaml" for stack in SHIPPED_STACKS + SERVICE_STACKS}
    assert EC2_STACKS and all(
        pulumi_mocks.stack_config(stack)["shipyard:target"] == "ec2" for stack in EC2_STACKS
    )


def test_launch_template_is_locked_down(qa):
    template = qa.one(LAUNCH_TEMPLATE).inputs
    assert AMAZON_LINUX_AMI_PARAMETER.endswith("al2023-ami-kernel-default-x86_64")
    assert ("aws:ssm/getParameter:getParameter", {"name": AMAZON_LINUX_AMI_PARAMETER}) in qa.calls
    assert template["imageId"] == pulumi_mocks.AMAZON_LINUX_AMI
    assert template["instanceType"] == "t3.small"
    assert template["metadataOptions"] == {
        "httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1
    }  # fmt: skip
    assert template["blockDeviceMappings"] == [
        {
            "deviceName": "/dev/xvda",
            "ebs": {
                "volumeType": "gp3", "volumeSize": 20, "encrypted": "true",
                "deleteOnTermination": "true",
            },
        }
    ]  # fmt: skip
    # Instances sit in private subnets: no public address.
    assert template["networkInterfaces"] == [
        {"associatePublicIpAddress": "false", "securityGroups": [f"{PREFIX}-targets-id"]}
    ]
    assert template["updateDefaultVersion"] is True
    # One-minute metrics, or the CPU alarm (three one-minute periods) never fires.
    assert template["monitoring"] == {"enabled": True}


def test_instance_profile_pulls_this_repository_writes_this_log_group_and_ssm_core(qa):
    role = qa.resources[(ROLE, f"{PREFIX}-instance")]
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "ec2.amazonaws.com"}
    (profile,) = qa.of_type(PROFILE)
    assert profile.inputs["role"] == role.name
    # No shell on the instances unless sessionManager asks for one.
    assert qa.of_type(ATTACHMENT) == []
    statements = json.loads(
        qa.resources[(ROLE_POLICY, f"{PREFIX}-instance")].inputs["policy"]
    )["Statement"]
    resources = {tuple(s["Action"]): s["Resource"] for s in statements}
    assert resources[("ecr:GetAuthorizationToken",)] == ["*"]
    pull = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
    assert resources[pull] == [
        f"arn:aws:ecr:{pulumi_mocks.REGION}:{pulumi_mocks.ACCOUNT}:repository/shipyard-sample"
    ]
    assert resources[("logs:CreateLogStream", "logs:PutLogEvents")] == [
        f"arn:aws:logs:{pulumi_mocks.REGION}:{pulumi_mocks.ACCOUNT}:log-group:/shipyard/{PREFIX}:*"
    ]
    # The boot script completes its own launch lifecycle action, in this group only.
    assert resources[("autoscaling:CompleteLifecycleAction",)] == [
        f"arn:aws:autoscaling:{pulumi_mocks.REGION}:{pulumi_mocks.ACCOUNT}:autoScalingGroup:*:"
        f"autoScalingGroupName/{PREFIX}"
    ]
    # Besides the secrets' grants (tests/infra/test_secrets.py), nothing else.
    secret_actions = ("ssm:", "secretsmanager:", "kms:")
    assert len([a for a in resources if not a[0].startswith(secret_actions)]) == 4


def test_user_data_is_the_rendered_boot_script_for_this_image(qa):
    expected = render_user_data(
        BootContainer(
            image_ref=qa.outputs["image"],
            port=8080,
            environment=(
                ("APP_ENVIRONMENT", "qa"), ("KEEPALIVE_SECONDS", "65"), ("PORT", "8080"),
                ("SHIPYARD_SECRET_NAMES", "DATABASE_PASSWORD,SESSION_KEY,SMTP_PASSWORD"),
            ),
            stop_timeout=10,
            log_group_name=f"/shipyard/{PREFIX}",
            region=pulumi_mocks.REGION,
            health_check_path="/health",
            group_name=PREFIX,
            boot_timeout=600,
            health_command=("CMD", "python3", "-m", "service.healthcheck"),
            secrets=tuple(
                parse_entry(entry, "shipyard-sample", "qa")
                for entry in pulumi_mocks.stack_config("qa")["shipyard:secrets"]
            ),
        )
    )  # fmt: skip
    assert boot_script(qa) == expected
    assert "@sha256:" in qa.outputs["image"]


def test_auto_scaling_group_sits_behind_the_alb_and_refreshes_with_rollback(qa):
    group = qa.one(GROUP)
    inputs = group.inputs
    assert (inputs["minSize"], inputs["maxSize"], inputs["desiredCapacity"]) == (2, 4, 2)
    assert inputs["name"] == PREFIX
    assert inputs["targetGroupArns"] == [
        f"arn:aws:elasticloadbalancing:{pulumi_mocks.REGION}:{pulumi_mocks.ACCOUNT}:"
        f"targetgroup/{PREFIX}-tg/73e2d6bc24d8a067"
    ]
    assert inputs["healthCheckType"] == "ELB"
    assert inputs["healthCheckGracePeriod"] == 60
    assert inputs["vpcZoneIdentifiers"] == [f"{PREFIX}-private-0-id", f"{PREFIX}-private-1-id"]
    template = inputs["launchTemplate"]
    assert template["id"] == f"{PREFIX}-template-id"
    assert template["version"].isdigit()  # numbered, so a refresh can roll back to it
    # Only a new group is created on a version; the rollout step moves it on (below).
    assert "instanceRefresh" not in inputs
    # A new instance joins the target group only once its boot script says the container is
    # healthy; a boot that fails or outlasts the timeout is abandoned and replaced.
    launch_hook = {
        "name": "shipyard-container-healthy",
        "lifecycleTransition": "autoscaling:EC2_INSTANCE_LAUNCHING",
        "defaultResult": "ABANDON",
        "heartbeatTimeout": 600,
    }
    # Given at creation, for a new group's first instances ...
    assert inputs["initialLifecycleHooks"] == [launch_hook]
    # ... and kept by its own resource, so that adding or changing it never replaces the
    # group (the provider has initialLifecycleHooks ForceNew; the group's name is fixed).
    # A new launch template version is saved on the group by a successful refresh only
    # (shipyard/program/instance_refresh.py), never by the provider ahead of it.
    assert group.ignore_changes == ["desiredCapacity", "initialLifecycleHooks", "launchTemplate"]
    hook = qa.one(LIFECYCLE_HOOK)
    assert hook.inputs == {**launch_hook, "autoscalingGroupName": PREFIX}
    assert hook.parent_type == "shipyard:index:Ec2Service"


def test_a_new_boot_timeout_changes_the_hook_in_place_and_keeps_the_group():
    before = evaluated("qa")
    after = pulumi_mocks.evaluate("qa", overrides={"instanceBootTimeout": 900})
    assert after.one(LIFECYCLE_HOOK).inputs["heartbeatTimeout"] == 900
    # The group changes only in what it ignores, and in its template version: the boot
    # script's health deadline follows the timeout (an in-place update, rolled out).
    changed = {
        key
        for key, value in after.one(GROUP).inputs.items()
        if before.one(GROUP).inputs.get(key) != value
    }
    assert changed <= {"initialLifecycleHooks", "launchTemplate"}


def test_pulumi_up_waits_for_the_instance_refresh_it_starts(qa):
    wait = qa.one(ROLLOUT_WAIT)
    assert wait.parent_type == "shipyard:index:Ec2Service"
    template = qa.one(LAUNCH_TEMPLATE)
    assert wait.inputs["groupName"] == PREFIX
    assert wait.inputs["launchTemplateVersion"] == str(
        pulumi_mocks.RecordingMocks._computed(LAUNCH_TEMPLATE, "", template.inputs)["latestVersion"]
    )
    assert wait.inputs["launchTemplateId"] == f"{PREFIX}-template-id"
    assert wait.inputs["region"] == pulumi_mocks.REGION
    # The refresh it starts: StartInstanceRefresh's Preferences, with auto rollback on the
    # environment's alarms; qa deploys canary: half the instances, five minutes, the rest.
    preferences = dict(wait.inputs["preferences"])  # a copy: evaluated() is shared
    alarm_names = sorted(alarm.inputs["name"] for alarm in qa.of_type(ALARM))
    assert sorted(preferences.pop("AlarmSpecification")["Alarms"]) == alarm_names
    assert preferences == {
        "MinHealthyPercentage": 100, "MaxHealthyPercentage": 200, "InstanceWarmup": 15,
        "SkipMatching": False, "AutoRollback": True,
        "CheckpointPercentages": [50, 100], "CheckpointDelay": 300,
    }  # fmt: skip
    # Two waves (canary's checkpoints at 50% and 100%), each boot timeout + warmup + 120 s
    # of margin, and the wait at the first checkpoint.
    assert wait.inputs["timeoutSeconds"] == 2 * (600 + 15 + 120) + 300
    assert (GROUP, f"{PREFIX}-group") in wait.dependencies
    # A refresh's new instances are held by the hook, so the hook is in place before.
    assert (LIFECYCLE_HOOK, f"{PREFIX}-launch-hook") in wait.dependencies


def test_session_manager_attaches_the_ssm_core_policy_only_when_asked():
    evaluation = pulumi_mocks.evaluate("qa", overrides={"sessionManager": True})
    (attachment,) = evaluation.of_type(ATTACHMENT)
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    template = evaluation.one(LAUNCH_TEMPLATE)
    assert (ATTACHMENT, f"{PREFIX}-instance-managed-0") in template.dependencies


def test_compute_waits_for_what_it_uses_on_first_create(qa):
    template = qa.one(LAUNCH_TEMPLATE)
    assert {(ROLE_POLICY, f"{PREFIX}-instance"), (PROFILE, f"{PREFIX}-instance")} <= (
        template.dependencies
    )
    group = qa.one(GROUP)
    waits_for = group.dependencies
    # The alarms roll a refresh back: the rollout step that starts it waits for them.
    assert {(ALARM, alarm.name) for alarm in qa.of_type(ALARM)} <= qa.one(ROLLOUT_WAIT).dependencies
    assert {(LISTENER, listener.name) for listener in qa.of_type(LISTENER)} <= waits_for
    assert {(NAT, nat.name) for nat in qa.of_type(NAT)} <= waits_for
    private = {
        (record.type, record.name)
        for record in qa.resources.values()
        if "-private-" in record.name and record.type != SUBNET
    }
    assert private and private <= waits_for  # route tables and their associations


def test_scaling_policies_track_cpu_and_requests(qa):
    policies = {p.name.rsplit("-", 1)[1]: p.inputs for p in qa.of_type(EC2_POLICY)}
    assert set(policies) == {"cpu", "requests"}
    cpu = policies["cpu"]["targetTrackingConfiguration"]
    assert cpu["predefinedMetricSpecification"] == {
        "predefinedMetricType": "ASGAverageCPUUtilization"
    }
    assert cpu["targetValue"] == 60
    requests = policies["requests"]["targetTrackingConfiguration"]
    assert requests["predefinedMetricSpecification"]["predefinedMetricType"] == (
        "ALBRequestCountPerTarget"
    )
    assert requests["predefinedMetricSpecification"]["resourceLabel"].startswith(
        f"app/{PREFIX}-alb/"
    )
    assert all(p["autoscalingGroupName"] == PREFIX for p in policies.values())
    assert qa.of_type(SCALING_POLICY) == []  # no ECS application autoscaling


def test_shared_components_serve_ec2_with_instance_targets_and_asg_metrics(qa):
    assert qa.one(TARGET_GROUP).inputs["targetType"] == "instance"
    cpu = next(a.inputs for a in qa.of_type(ALARM) if a.inputs["metricName"] == "CPUUtilization")
    assert cpu["namespace"] == "AWS/EC2"
    assert cpu["dimensions"] == {"AutoScalingGroupName": PREFIX}
    targets_in = next(r for r in qa.of_type(INGRESS) if r.name.endswith("targets-in"))
    assert targets_in.inputs["fromPort"] == 8080
    assert not [r for r in qa.resources.values() if r.type.startswith("aws:ecs/")]
    assert qa.outputs["target"] == "ec2"
    assert qa.outputs["autoScalingGroupName"] == PREFIX
    assert "clusterName" not in qa.outputs


def test_a_pinned_ami_needs_no_lookup():
    evaluation = pulumi_mocks.evaluate("qa", overrides={"amiId": "ami-0123456789abcdef0"})
    assert evaluation.one(LAUNCH_TEMPLATE).inputs["imageId"] == "ami-0123456789abcdef0"
    lookups = [args["name"] for call, args in evaluation.calls if call.startswith("aws:ssm/")]
    assert AMAZON_LINUX_AMI_PARAMETER not in lookups


def test_in_the_default_vpc_instances_get_a_public_address():
    evaluation = pulumi_mocks.evaluate("qa", overrides={"useDefaultVpc": True})
    (interface,) = evaluation.one(LAUNCH_TEMPLATE).inputs["networkInterfaces"]
    assert interface["associatePublicIpAddress"] == "true"


BAD_EC2_SETTINGS = [
    ({"instanceType": "t3.smal"}, "shipyard:instanceType", "did you mean t2.small, t3.small"),
    ({"instanceType": "huge"}, "shipyard:instanceType", "is not an EC2 instance type"),
    (
        {"instanceRefreshMaxHealthyPercent": 100, "desiredCount": 2, "minCapacity": 2},
        "shipyard:instanceRefreshMinHealthyPercent",
        "leaves no instance free to replace",
    ),
    (
        {"instanceRefreshMinHealthyPercent": 50, "instanceRefreshMaxHealthyPercent": 100,
         "desiredCount": 1, "minCapacity": 1},
        "shipyard:instanceRefreshMinHealthyPercent",
        "raise instanceRefreshMaxHealthyPercent",
    ),
    (
        {"instanceRefreshMinHealthyPercent": 0, "instanceRefreshMaxHealthyPercent": 200},
        "shipyard:instanceRefreshMaxHealthyPercent",
        "spread of at most 100",
    ),
    ({"instanceRefreshMaxHealthyPercent": 250}, "shipyard:instanceRefreshMaxHealthyPercent",
     "use 100 to 200"),
    ({"minCapacity": 0, "desiredCount": 0}, "shipyard:minCapacity", "use at least 1"),
    ({"scaleOnMemory": True}, "shipyard:scaleOnMemory", "no memory metric"),
    ({"amiId": "ubuntu"}, "shipyard:amiId", "is not an AMI ID"),
    ({"rootVolumeGb": 4}, "shipyard:rootVolumeGb", "use 8 to 16384"),
]  # fmt: skip


@pytest.mark.parametrize(("overrides", "key_path", "advice"), BAD_EC2_SETTINGS)
def test_bad_ec2_settings_are_rejected_by_key_path(overrides, key_path, advice):
    problems = rejected("qa", overrides, key_path)
    assert any(advice in problem for problem in problems), problems


def test_fargate_sizes_are_refused_on_ec2_as_doing_nothing_not_as_bad_sizes():
    with pytest.raises(SettingsError) as refused:
        pulumi_mocks.evaluate("qa", overrides={"cpu": 300, "memory": 100})
    assert [problem.split(": ", 1)[0] for problem in refused.value.problems] == [
        "shipyard:cpu", "shipyard:memory"
    ]
    assert all("does nothing on target ec2" in p for p in refused.value.problems)


# ---- the boot script, run for real with recording stand-ins ----------------------------------

RECORDER = """#!/bin/bash
# Records each call; answers like the real tool where the script depends on it.
name="$(basename "$0")"
# docker login takes the password from the pipe first, so the log keeps pipeline order.
if [ "$name" = docker ] && [ "${1:-}" = login ]; then read -r password; fi
{ printf '%s' "$name"; printf ' %s' "$@"; printf '\\n'; } >> "$CALL_LOG"
if [ -n "${password:-}" ]; then echo "docker login read from stdin: $password" >> "$CALL_LOG"; fi
if [ "$name" = aws ] && [ "${1:-}" = ecr ]; then echo "ecr-password-from-instance-role"; fi
if [ "$name" = docker ] && [ "${1:-}" = inspect ]; then echo "${DOCKER_HEALTH:-healthy}"; fi
if [ "$name" = curl ]; then
  case "$*" in
    *api/token*) echo "imds-token" ;;
    *meta-data/instance-id*) echo "i-0123456789abcdef0" ;;
    *) exit "${HEALTH_EXIT:-0}" ;;  # the container's health check
  esac
fi
if [ "$name" = "${FAIL_TOOL:-none}" ]; then exit 1; fi
exit 0
"""
SAMPLE = BootContainer(
    image_ref="123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:" + "c" * 64,
    port=9000,
    environment=(
        ("APP_ENVIRONMENT", "qa"),
        ("GREETING", "hello world; $(reboot)"),
        ("PORT", "9000"),
    ),
    stop_timeout=10,
    log_group_name="/shipyard/web-qa",
    region="eu-west-1",
    health_check_path="/health",
    group_name="web-qa",
    boot_timeout=31,  # (31 - 15) // 4 = 4 health probes
)
HOOK_CALL = (
    "aws autoscaling complete-lifecycle-action --region eu-west-1 --auto-scaling-group-name "
    "web-qa --lifecycle-hook-name shipyard-container-healthy --instance-id i-0123456789abcdef0 "
    "--lifecycle-action-result {result}"
)
HEALTH_PROBE = "curl -fsS -o /dev/null --max-time 2 http://127.0.0.1:9000/health"


def run_boot_script(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    stand_ins = tmp_path / "bin"
    stand_ins.mkdir()
    recorder = stand_ins / "recorder"
    recorder.write_text(RECORDER)
    recorder.chmod(0o755)
    for tool in ("dnf", "systemctl", "aws", "docker", "curl", "sleep"):
        (stand_ins / tool).symlink_to(recorder)
    script = tmp_path / "user-data.sh"
    script.write_text(render_user_data(SAMPLE))
    log = tmp_path / "calls.log"
    completed = subprocess.run(
        ["/bin/bash", str(script)],
        env={"PATH": f"{stand_ins}:/usr/bin:/bin", "CALL_LOG": str(log), **env},
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    return completed, log.read_text().splitlines()


def test_boot_script_runs_the_container_then_puts_the_instance_in_service(tmp_path: Path):
    completed, calls = run_boot_script(tmp_path)
    assert completed.returncode == 0, completed.stderr
    image = SAMPLE.image_ref
    assert calls == [
        "curl -fsS -X PUT http://169.254.169.254/latest/api/token"
        " -H X-aws-ec2-metadata-token-ttl-seconds: 300",
        "curl -fsS -H X-aws-ec2-metadata-token: imds-token"
        " http://169.254.169.254/latest/meta-data/instance-id",
        "dnf install -y docker",
        "systemctl enable --now docker",
        "aws ecr get-login-password --region eu-west-1",
        "docker login --username AWS --password-stdin 123456789012.dkr.ecr.us-east-1.amazonaws.com",
        "docker login read from stdin: ecr-password-from-instance-role",
        f"docker pull {image}",
        "docker run --detach --name app --restart always --log-driver awslogs"
        " --log-opt awslogs-region=eu-west-1 --log-opt awslogs-group=/shipyard/web-qa"
        " --publish 9000:9000 --stop-timeout 10 --read-only --cap-drop ALL"
        " --security-opt no-new-privileges --pids-limit 512 --no-healthcheck"
        " --env APP_ENVIRONMENT=qa --env GREETING=hello world; $(reboot) --env PORT=9000 "
        + image,
        HEALTH_PROBE,
        HOOK_CALL.format(result="CONTINUE"),
    ]


DOCKER_HEALTH = "docker inspect --format {{.State.Health.Status}} app"


@pytest.mark.parametrize(
    ("command", "shown"),
    [(("CMD", "python3", "-m", "service.healthcheck"), "python3 -m service.healthcheck"),
     (("CMD-SHELL", "curl -f localhost:9000/health || exit 1"),
      "curl -f localhost:9000/health || exit 1")],
)  # fmt: skip
def test_on_ec2_the_container_health_check_is_dockers_and_gates_the_instance(
    tmp_path: Path, monkeypatch, command, shown
):
    sample = dataclasses.replace(SAMPLE, health_command=command)
    monkeypatch.setattr(sys.modules[__name__], "SAMPLE", sample)
    completed, calls = run_boot_script(tmp_path)
    assert completed.returncode == 0, completed.stderr
    (run,) = [call for call in calls if call.startswith("docker run")]
    assert (f" --health-cmd {shown} --health-interval 10s --health-timeout 3s"
            " --health-retries 3 --health-start-period 10s ") in run  # fmt: skip
    assert calls[-3:] == [HEALTH_PROBE, DOCKER_HEALTH, HOOK_CALL.format(result="CONTINUE")]
    # Answering on the port is not enough while Docker calls the container unhealthy.
    (tmp_path / "unhealthy").mkdir()
    completed, calls = run_boot_script(tmp_path / "unhealthy", DOCKER_HEALTH="unhealthy")
    assert completed.returncode == 1
    assert calls.count(DOCKER_HEALTH) == 4 and calls[-1] == HOOK_CALL.format(result="ABANDON")


def test_boot_script_abandons_an_instance_whose_container_never_gets_healthy(tmp_path: Path):
    completed, calls = run_boot_script(tmp_path, HEALTH_EXIT="7")
    assert completed.returncode == 1
    assert "did not answer http://127.0.0.1:9000/health in time" in completed.stderr
    assert calls.count(HEALTH_PROBE) == 4 and calls.count("sleep 2") == 4
    assert calls[-1] == HOOK_CALL.format(result="ABANDON")
    assert HOOK_CALL.format(result="CONTINUE") not in calls


def test_boot_script_abandons_at_once_when_a_step_fails(tmp_path: Path):
    completed, calls = run_boot_script(tmp_path, FAIL_TOOL="dnf")
    assert completed.returncode != 0
    assert calls[-2:] == ["dnf install -y docker", HOOK_CALL.format(result="ABANDON")]
    assert not [call for call in calls if call.startswith("docker")]


def test_boot_script_holds_no_secret_and_pins_the_digest():
    script = render_user_data(SAMPLE)
    assert "ecr-password" not in script and "get-login-password" in script
    assert "--password-stdin" in script and "--password " not in script
    assert "@sha256:" in script and ":latest" not in script


def shellcheck() -> str:
    found = shutil.which("shellcheck") or str(Path(sys.executable).parent / "shellcheck")
    assert Path(found).exists(), "shellcheck is installed by scripts/setup.sh"
    return found


@pytest.mark.parametrize("stack", EC2_STACKS)
def test_rendered_boot_scripts_pass_shellcheck(tmp_path, stack):
    for name, text in [
        ("sample", render_user_data(SAMPLE)),
        (stack, boot_script(evaluated(stack))),
    ]:
        script = tmp_path / f"{name}.sh"
        script.write_text(text)
        completed = subprocess.run(
            [shellcheck(), str(script)], capture_output=True, text=True, check=False
        )
        assert completed.returncode == 0, completed.stdout

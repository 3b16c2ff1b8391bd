"""Every shipped stack file, evaluated by the real program, with assertions on resource inputs."""

from __future__ import annotations

import json
import re

import pytest

from devtools import pulumi_mocks
from shipyard.cli import offline
from shipyard.config import SettingsError, naming

from .conftest import evaluated

REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
IMAGE = "docker:index/image:Image"
ALB = "aws:lb/loadBalancer:LoadBalancer"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
LISTENER = "aws:lb/listener:Listener"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
CLUSTER = "aws:ecs/cluster:Cluster"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
SCALING_TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"
PARAMETER = "aws:ssm/parameter:Parameter"


# How each shipped ECS stack deploys a new image.
STRATEGY = {"dev": "rolling", "staging": "blue_green", "prod": "canary"}


def target_group_arn(shipped, role: str) -> str:
    """The ARN the mocks give the stack's target group `tg` (or the second one, `tg2`)."""
    name = naming.target_group_name(f"shipyard-sample-{shipped.stack}", role)
    assert [g.name for g in shipped.of_type(TARGET_GROUP) if g.name == name] == [name]
    return (
        f"arn:aws:elasticloadbalancing:{pulumi_mocks.REGION}:{pulumi_mocks.ACCOUNT}:"
        f"targetgroup/{name}/73e2d6bc24d8a067"
    )


def rule_arn(shipped, suffix: str) -> str:
    name = f"shipyard-sample-{shipped.stack}-{suffix}"
    assert [r.name for r in shipped.of_type(LISTENER_RULE) if r.name == name] == [name]
    return f"arn:aws:lb:{pulumi_mocks.REGION}:{pulumi_mocks.ACCOUNT}:{LISTENER_RULE}/{name}"


def container(evaluation) -> dict:
    (definition,) = json.loads(evaluation.one(TASK).inputs["containerDefinitions"])
    return definition


# ---- invariants every shipped stack keeps --------------------------------------------------


def test_environments_deploy_from_the_service_stacks_repository_and_own_none(shipped):
    assert shipped.of_type(REPOSITORY) == [] and shipped.of_type(LIFECYCLE) == []
    # Looked up by serviceName before any resource: no stack file names the repository.
    lookup = ("aws:ecr/getRepository:getRepository", {"name": "shipyard-sample"})
    assert lookup in shipped.calls
    assert "shipyard:imageRepository" not in pulumi_mocks.stack_config(shipped.stack)
    assert shipped.outputs["repositoryUrl"].endswith("/shipyard-sample")


def test_the_record_moves_only_after_the_rollout():
    # A rollout that fails or that AWS rolls back fails the update before the record moves.
    wait = "pulumi-python:dynamic/shipyard:InstanceRefreshWait"
    for stack, rollout in (
        ("prod", (SERVICE, "shipyard-sample-prod-service")),
        ("qa", (wait, "shipyard-sample-qa-rollout")),
    ):
        record = evaluated(stack).resources[(PARAMETER, f"shipyard-sample-{stack}-release")]
        assert rollout in record.dependencies, record.dependencies


def test_each_environment_records_the_digest_it_runs(shipped):
    record = shipped.resources[(PARAMETER, f"shipyard-sample-{shipped.stack}-release")]
    assert record.inputs["name"] == f"/shipyard/shipyard-sample/{shipped.stack}/release"
    assert record.inputs["type"] == "String"
    assert record.inputs["insecureValue"] == shipped.outputs["image"].split("@")[1]
    assert shipped.outputs["releaseParameter"] == record.inputs["name"]


def test_a_release_stack_deploys_its_record_and_builds_nothing():
    for stack in ("staging", "prod"):
        evaluation = evaluated(stack)
        assert evaluation.of_type(IMAGE) == []
        assert evaluation.outputs["image"].endswith(f"@{offline.RECORDED_DIGEST}")
        assert "commit" not in evaluation.outputs


def test_a_release_stack_without_a_record_or_pin_is_refused_before_any_resource():
    mocks = pulumi_mocks.RecordingMocks(releases={})
    with pytest.raises(SettingsError) as raised:
        pulumi_mocks.evaluate("prod", mocks=mocks)
    (problem,) = raised.value.problems
    assert problem.startswith("shipyard:imageSource: prod deploys only released images")
    assert "shipyard deploy prod --image sha256:" in problem
    assert mocks.resources == {}


def test_without_the_service_stack_an_environment_is_refused_before_any_resource():
    mocks = pulumi_mocks.RecordingMocks(repositories=set())
    with pytest.raises(SettingsError) as raised:
        pulumi_mocks.evaluate("staging", mocks=mocks)
    (problem,) = raised.value.problems
    assert problem.startswith("shipyard:serviceName: the service's ECR repository")
    assert "deploy the service stack first (`pulumi up -s shared`)" in problem
    assert mocks.resources == {}


def test_every_aws_resource_carries_the_stack_tag(shipped):
    prefix = f"shipyard-sample-{shipped.stack}"
    tagged = 0
    for record in shipped.resources.values():
        tags = record.inputs.get("tags")
        if record.type == "aws:autoscaling/group:Group":
            tags = {tag["key"]: tag["value"] for tag in tags}
        if tags is not None:
            assert tags["shipyard:stack"] == prefix, record.name
            tagged += 1
    assert tagged >= 20


def test_image_is_built_from_app_tagged_by_its_inputs_and_deployed_by_digest():
    shipped = evaluated("dev")  # the stack that builds (imageSource: build)
    image = shipped.one(IMAGE).inputs
    assert image["build"]["context"] == "app"
    assert image["build"]["dockerfile"] == "app/Dockerfile"
    assert image["build"]["platform"] == "linux/amd64"
    assert image["build"]["args"] == {
        "APP_COMMIT": pulumi_mocks.TEST_COMMIT, "APP_VERSION": pulumi_mocks.TEST_VERSION
    }  # fmt: skip
    repository, tag = image["imageName"].rsplit(":", 1)
    assert repository == shipped.outputs["repositoryUrl"]
    assert re.fullmatch(rf"build-{shipped.stack}-{pulumi_mocks.TEST_COMMIT}-[0-9a-f]{{12}}", tag)
    deployed = container(shipped)["image"]
    assert "@sha256:" in deployed and deployed == shipped.outputs["image"]
    assert deployed.split("@")[0] == shipped.outputs["repositoryUrl"]


def test_load_balancer_is_hardened_and_checks_health_fast(shipped):
    alb = shipped.one(ALB).inputs
    assert alb["dropInvalidHeaderFields"] is True
    assert alb["desyncMitigationMode"] == "defensive"
    assert alb["internal"] is False
    groups = shipped.of_type(TARGET_GROUP)
    # Blue/green and canary: a second group for ECS to move traffic to, set up the same.
    assert len(groups) == (1 if STRATEGY[shipped.stack] == "rolling" else 2)
    for group in (record.inputs for record in groups):
        assert group["targetType"] == "ip"
        assert group["deregistrationDelay"] == 5
        assert group["healthCheck"] == {
            "enabled": True, "path": "/health", "port": "traffic-port", "protocol": "HTTP",
            "interval": 5, "timeout": 2, "healthyThreshold": 2, "unhealthyThreshold": 2,
            "matcher": "200",
        }  # fmt: skip
    listeners = {listener.inputs["port"]: listener.inputs for listener in shipped.of_type(LISTENER)}
    served = {
        port: (listener["protocol"], listener["defaultActions"][0]["type"])
        for port, listener in listeners.items()
    }
    # HTTPS on prod's domain, where HTTP only redirects; with two target groups the rule ECS
    # weights routes every path, before the listener's own forward.
    assert served == {
        "dev": {80: ("HTTP", "forward")},
        "staging": {80: ("HTTP", "forward"), 8443: ("HTTP", "forward")},
        "prod": {80: ("HTTP", "redirect"), 443: ("HTTPS", "forward"), 8443: ("HTTPS", "forward")},
    }[shipped.stack]  # fmt: skip


def test_only_listener_ports_are_open_to_the_world(shipped):
    cidr_rules = [rule.inputs for rule in shipped.of_type(INGRESS) if rule.inputs.get("cidrIpv4")]
    ports = [80, 443] if shipped.stack == "prod" else [80]
    # The test listener only from the ranges the stack names: staging's testers, nobody for prod.
    test_sources = {"staging": [(8443, 8443, "203.0.113.0/24")]}.get(shipped.stack, [])
    assert [(rule["fromPort"], rule["toPort"], rule["cidrIpv4"]) for rule in cidr_rules] == [
        (port, port, "0.0.0.0/0") for port in ports
    ] + test_sources
    for rule in shipped.of_type(INGRESS) + shipped.of_type(EGRESS):
        assert rule.inputs["description"], rule.name
    (targets_in,) = [r for r in shipped.of_type(INGRESS) if r.name.endswith("targets-in")]
    assert targets_in.inputs["referencedSecurityGroupId"].endswith("-alb-id")
    assert targets_in.inputs["fromPort"] == targets_in.inputs["toPort"] == 8080


def test_cluster_has_container_insights(shipped):
    assert shipped.one(CLUSTER).inputs["settings"] == [
        {"name": "containerInsights", "value": "enabled"}
    ]


def test_task_definition_runs_the_image_with_logs_health_and_stop_timeout(shipped):
    task = shipped.one(TASK).inputs
    assert task["networkMode"] == "awsvpc"
    assert task["requiresCompatibilities"] == ["FARGATE"]
    assert task["executionRoleArn"] != task["taskRoleArn"]
    definition = container(shipped)
    assert definition["portMappings"] == [
        {"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}
    ]
    assert {"name": "APP_ENVIRONMENT", "value": shipped.stack} in definition["environment"]
    assert {"name": "PORT", "value": "8080"} in definition["environment"]
    assert definition["logConfiguration"] == {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": f"/shipyard/shipyard-sample-{shipped.stack}",
            "awslogs-region": pulumi_mocks.REGION,
            "awslogs-stream-prefix": "app",
        },
    }
    assert definition["healthCheck"]["command"] == ["CMD", "python3", "-m", "service.healthcheck"]
    assert definition["stopTimeout"] == 10
    assert definition["readonlyRootFilesystem"] is True
    assert definition["user"] == "10001:10001"


def test_roles_are_separate_and_least_privilege(shipped):
    roles = {
        role.name.rsplit("-", 1)[1]: role
        for role in shipped.of_type(ROLE)
        if "ecs-tasks.amazonaws.com" in role.inputs["assumeRolePolicy"]
    }
    assert set(roles) == {"execution", "task"}
    for role in roles.values():
        trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        # Only ECS, only for this account's tasks (confused-deputy keys).
        assert trust == [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": pulumi_mocks.ACCOUNT},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:aws:ecs:{pulumi_mocks.REGION}:"
                        f"{pulumi_mocks.ACCOUNT}:*"
                    },
                },
            }
        ]
    (policy,) = [p for p in shipped.of_type(ROLE_POLICY) if not p.name.endswith("-flow-logs")]
    assert policy.name.endswith("-execution")
    statements = json.loads(policy.inputs["policy"])["Statement"]
    by_action = {tuple(s["Action"]): s["Resource"] for s in statements}
    assert by_action[("ecr:GetAuthorizationToken",)] == ["*"]
    pull = by_action[
        ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
    ]
    assert pull == [shipped.outputs["repositoryUrl"].replace(
        f"{pulumi_mocks.ACCOUNT}.dkr.ecr.{pulumi_mocks.REGION}.amazonaws.com/",
        f"arn:aws:ecr:{pulumi_mocks.REGION}:{pulumi_mocks.ACCOUNT}:repository/",
    )]  # fmt: skip
    assert by_action[("logs:CreateLogStream", "logs:PutLogEvents")] == [
        f"arn:aws:logs:{pulumi_mocks.REGION}:{pulumi_mocks.ACCOUNT}:log-group:"
        f"/shipyard/shipyard-sample-{shipped.stack}:*"
    ]
    assert not any("*" in action for s in statements for action in s["Action"])


def test_service_rolls_safely_behind_the_alb_with_alarms(shipped):
    service = shipped.one(SERVICE)
    inputs = service.inputs
    assert inputs["launchType"] == "FARGATE"
    assert inputs["deploymentMinimumHealthyPercent"] == 100
    assert inputs["deploymentMaximumPercent"] == 200
    rolling = STRATEGY[shipped.stack] == "rolling"
    # The circuit breaker serves rolling deployments only; the alarms serve every strategy.
    assert inputs["deploymentCircuitBreaker"] == {"enable": rolling, "rollback": rolling}
    assert inputs["deploymentConfiguration"]["strategy"] == STRATEGY[shipped.stack].upper()
    alarm_names = sorted(alarm.inputs["name"] for alarm in shipped.of_type(ALARM))
    assert inputs["alarms"]["enable"] is True and inputs["alarms"]["rollback"] is True
    assert sorted(inputs["alarms"]["alarmNames"]) == alarm_names
    assert inputs["healthCheckGracePeriodSeconds"] == 10
    balancer = {
        "containerName": "app",
        "containerPort": 8080,
        "targetGroupArn": target_group_arn(shipped, "tg"),
    }
    if not rolling:
        (role,) = [r for r in shipped.of_type(ROLE) if r.name.endswith("-traffic")]
        balancer["advancedConfiguration"] = {
            "alternateTargetGroupArn": target_group_arn(shipped, "tg2"),
            "productionListenerRule": rule_arn(shipped, "rule"),
            "testListenerRule": rule_arn(shipped, "test-rule"),
            "roleArn": f"arn:aws:iam::{pulumi_mocks.ACCOUNT}:role/{role.name}",
        }
    assert inputs["loadBalancers"] == [balancer]
    assert inputs["waitForSteadyState"] is True
    # A service ECS does not move traffic for yet (none exists here) is sent its whole
    # block; tests/infra/test_strategies.py covers the one ECS already runs.
    assert service.ignore_changes == ["desiredCount"]
    assert inputs["taskDefinition"].startswith(
        f"arn:aws:ecs:{pulumi_mocks.REGION}:{pulumi_mocks.ACCOUNT}:task-definition/"
    )


def test_alarms_watch_5xx_unhealthy_targets_and_cpu(shipped):
    alarms = {alarm.inputs["metricName"]: alarm.inputs for alarm in shipped.of_type(ALARM)}
    assert set(alarms) == {
        "HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count", "UnHealthyHostCount",
        "CPUUtilization",
    }  # fmt: skip
    # The load balancer's own 5xx (a 502 from a connection the app closed) by load balancer.
    assert set(alarms["HTTPCode_ELB_5XX_Count"]["dimensions"]) == {"LoadBalancer"}
    assert alarms["UnHealthyHostCount"]["threshold"] == 0
    assert alarms["CPUUtilization"]["namespace"] == "AWS/ECS"
    prefix = f"shipyard-sample-{shipped.stack}"
    assert alarms["CPUUtilization"]["dimensions"] == {"ClusterName": prefix, "ServiceName": prefix}
    # Rolling: one target group serves every request. Otherwise the targets' 5xx count for
    # the whole load balancer, and each of the two groups has an unhealthy-host alarm.
    rolling = STRATEGY[shipped.stack] == "rolling"
    assert set(alarms["HTTPCode_Target_5XX_Count"]["dimensions"]) == (
        {"LoadBalancer", "TargetGroup"} if rolling else {"LoadBalancer"}
    )
    unhealthy = [a.inputs for a in shipped.of_type(ALARM) if "unhealthy" in a.name]
    assert sorted(alarm["dimensions"]["TargetGroup"].split("/")[1] for alarm in unhealthy) == (
        sorted(
            naming.target_group_name(f"shipyard-sample-{shipped.stack}", role)
            for role in (["tg"] if rolling else ["tg", "tg2"])
        )
    )


def test_every_child_resource_belongs_to_a_component(shipped):
    for record in shipped.resources.values():
        if record.type.startswith("shipyard:"):
            assert record.parent_type is None
        else:
            assert record.parent_type and record.parent_type.startswith("shipyard:index:"), record


def test_stack_outputs(shipped):
    prefix = f"shipyard-sample-{shipped.stack}"
    assert shipped.outputs["url"] == (
        "https://app.example.com"
        if shipped.stack == "prod"
        else f"http://{shipped.one('aws:lb/loadBalancer:LoadBalancer').name}-1234567890"
        f".us-east-1.elb.amazonaws.com"
    )
    assert shipped.outputs["clusterName"] == prefix
    assert shipped.outputs["serviceName"] == prefix
    assert shipped.outputs["logGroupName"] == f"/shipyard/{prefix}"
    built = shipped.stack == "dev"
    rolling = STRATEGY[shipped.stack] == "rolling"
    assert shipped.outputs.get("commit") == (pulumi_mocks.TEST_COMMIT if built else None)
    assert shipped.outputs["target"] == "ecs"
    assert set(shipped.outputs) == {
        "url", "image", "repositoryUrl", "clusterName", "serviceName", "logGroupName",
        "target", "targetGroupArn", "alarmNames", "alarmTopicArn", "releaseParameter",
        "deploymentStrategy", *(["commit"] if built else []),
        *([] if rolling else ["alternateTargetGroupArn"]),
    }  # fmt: skip
    assert shipped.outputs["deploymentStrategy"] == STRATEGY[shipped.stack]
    assert shipped.outputs["alarmTopicArn"] == (
        f"arn:aws:sns:{pulumi_mocks.REGION}:{pulumi_mocks.ACCOUNT}:{prefix}-alarms"
    )
    assert shipped.outputs["alarmNames"] == [
        f"{prefix}-5xx",
        f"{prefix}-elb-5xx",
        f"{prefix}-unhealthy",
        *([] if rolling else [f"{prefix}-unhealthy-2"]),
        f"{prefix}-cpu",
    ]
    assert shipped.outputs["targetGroupArn"].endswith(
        f":targetgroup/{naming.target_group_name(prefix)}/73e2d6bc24d8a067"
    )


# ---- what makes each environment different -------------------------------------------------

EXPECTED = {
    # stack: (cpu, memory, desired, min, max, retention, scaling metrics, zones, NATs, protected)
    "dev": ("256", "512", 1, 1, 2, 7, {"cpu"}, None, 0, False),
    "staging": ("512", "1024", 2, 2, 4, 30, {"cpu"}, 2, 1, False),
    "prod": ("1024", "2048", 3, 3, 12, 365, {"cpu", "memory"}, 3, 3, True),
}


def test_each_environment_is_sized_for_its_job(shipped):
    cpu, memory, desired, low, high, retention, metrics, zones, nats, protected = EXPECTED[
        shipped.stack
    ]
    task = shipped.one(TASK).inputs
    assert (task["cpu"], task["memory"]) == (cpu, memory)
    assert shipped.one(SERVICE).inputs["desiredCount"] == desired
    target = shipped.one(SCALING_TARGET).inputs
    assert (target["minCapacity"], target["maxCapacity"]) == (low, high)
    assert (
        target["resourceId"]
        == f"service/shipyard-sample-{shipped.stack}/shipyard-sample-{shipped.stack}"
    )
    for log_group in shipped.of_type(LOG_GROUP):  # the service's, and the VPC's flow logs
        assert log_group.inputs["retentionInDays"] == retention
    policies = {p.name.rsplit("-", 1)[1]: p.inputs for p in shipped.of_type(SCALING_POLICY)}
    assert set(policies) == metrics
    for policy in policies.values():
        tracking = policy["targetTrackingScalingPolicyConfiguration"]
        assert tracking["scaleOutCooldown"] == 30
    assert len(shipped.of_type(SUBNET)) == (2 * zones if zones else 0)
    assert len(shipped.of_type(NAT)) == nats
    assert len(shipped.of_type(VPC)) == (1 if zones else 0)
    stateful = [LOG_GROUP, ALB, CLUSTER, *([VPC] if zones else [])]
    for typ in stateful:
        assert [r.protect for r in shipped.of_type(typ)] == [protected] * len(
            shipped.of_type(typ)
        ), typ
    assert shipped.one(ALB).inputs["enableDeletionProtection"] is protected


def test_requests_policy_tracks_this_target_group():
    # Rolling only: the strategies that move traffic between two groups refuse it.
    shipped = pulumi_mocks.switched("staging", "rolling", scaleOnRequests=True)
    policies = {p.name.rsplit("-", 1)[1]: p.inputs for p in shipped.of_type(SCALING_POLICY)}
    metric = policies["requests"]["targetTrackingScalingPolicyConfiguration"]
    spec = metric["predefinedMetricSpecification"]
    assert spec["predefinedMetricType"] == "ALBRequestCountPerTarget"
    prefix = f"shipyard-sample-{shipped.stack}"
    assert spec["resourceLabel"] == (
        f"app/{naming.load_balancer_name(prefix)}/50dc6c495c0c9188/"
        f"targetgroup/{naming.target_group_name(prefix)}/73e2d6bc24d8a067"
    )
    assert metric["targetValue"] == 1000


def test_tasks_sit_in_private_subnets_without_public_ips_when_the_network_has_them(shipped):
    network = shipped.one(SERVICE).inputs["networkConfiguration"]
    if shipped.stack == "dev":
        # The default VPC only has public subnets; a public IP is how tasks reach ECR there.
        assert network["subnets"] == ["subnet-0default-a", "subnet-0default-b", "subnet-0default-c"]
        assert network["assignPublicIp"] is True
    else:
        assert network["assignPublicIp"] is False
        assert network["subnets"] and all("-private-" in s for s in network["subnets"])
    assert network["securityGroups"] == [f"shipyard-sample-{shipped.stack}-targets-id"]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_created_vpc_spreads_subnets_over_distinct_zones(stack):
    subnets = evaluated(stack).of_type(SUBNET)
    for tier in ("public", "private"):
        zones = [s.inputs["availabilityZone"] for s in subnets if f"-{tier}-" in s.name]
        assert len(set(zones)) == len(zones) >= 2
        assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in subnets)
    cidrs = [s.inputs["cidrBlock"] for s in subnets]
    assert len(set(cidrs)) == len(cidrs)


# ---- first-create ordering and the zones a created VPC uses ---------------------------------


def test_ecs_compute_waits_for_what_it_uses_on_first_create(shipped):
    task = shipped.one(TASK)
    (policy,) = [p for p in shipped.of_type(ROLE_POLICY) if p.name.endswith("-execution")]
    assert (ROLE_POLICY, policy.name) in task.dependencies
    service = shipped.one(SERVICE).dependencies
    assert {(ALARM, alarm.name) for alarm in shipped.of_type(ALARM)} <= service
    assert {(LISTENER, listener.name) for listener in shipped.of_type(LISTENER)} <= service
    assert {(NAT, nat.name) for nat in shipped.of_type(NAT)} <= service
    private_routes = {
        (record.type, record.name)
        for record in shipped.resources.values()
        if "-private-" in record.name and record.type != SUBNET
    }
    assert private_routes <= service
    assert bool(private_routes) == (shipped.stack != "dev")  # dev: the default VPC


def test_created_vpcs_use_only_zones_every_account_has(shipped):
    lookups = [args for call, args in shipped.calls if call.endswith("getAvailabilityZones")]
    if shipped.stack == "dev":
        assert lookups == []
        return
    # Local and Wavelength Zones an account opted into are "available" too, and sort first.
    assert lookups == [
        {
            "state": "available",
            "filters": [{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
        }
    ]


def test_more_zones_than_the_region_has_is_a_settings_error_before_any_resource():
    mocks = pulumi_mocks.RecordingMocks(zones=["us-east-1a", "us-east-1b"])
    with pytest.raises(SettingsError) as raised:
        pulumi_mocks.evaluate("prod", mocks=mocks)
    assert raised.value.problems == [
        "shipyard:availabilityZones: 3 zones asked for, but us-east-1 has 2 (us-east-1a, "
        "us-east-1b); use at most 2"
    ]
    assert mocks.resources == {}


def test_the_container_drops_every_capability_and_runs_an_init_process(shipped):
    (container,) = json.loads(shipped.one(TASK).inputs["containerDefinitions"])
    assert container["linuxParameters"] == {
        "capabilities": {"drop": ["ALL"]}, "initProcessEnabled": True
    }  # fmt: skip
    assert container["readonlyRootFilesystem"] is True and container["user"] == "10001:10001"

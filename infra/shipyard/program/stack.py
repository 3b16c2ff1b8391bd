"""Compose the components into one environment's stack."""

from __future__ import annotations

import os

import pulumi
import pulumi_aws as aws

from shipyard.config import Settings, naming
from shipyard.program.components.access_logs import AccessLogBucket, AccessLogsArgs
from shipyard.program.components.autoscaling import request_count_label
from shipyard.program.components.compute import ComputePlacement
from shipyard.program.components.domain import (
    DomainAlias,
    DomainAliasArgs,
    DomainArgs,
    DomainCertificate,
)
from shipyard.program.components.ec2_service import Ec2Service, Ec2ServiceArgs
from shipyard.program.components.ecs_service import FargateService, FargateServiceArgs
from shipyard.program.components.load_balancer import (
    LoadBalancer,
    LoadBalancerArgs,
    TestListenerArgs,
    TrafficShifting,
)
from shipyard.program.components.network import FlowLogSettings, Network, NetworkArgs
from shipyard.program.components.observability import CpuMetric, Observability, ObservabilityArgs
from shipyard.program.components.registry import (
    ImageBuild,
    ImageRegistry,
    ImageRegistryArgs,
    ReleaseRecord,
    ReleaseRecordArgs,
)
from shipyard.program.components.web_acl import WebFirewall, WebFirewallArgs
from shipyard.program.container import ContainerSpec, container_environment
from shipyard.program.lookups import (
    deployed_digest,
    environment_key,
    hosted_zone,
    live_service_moves_traffic,
    service_repository,
    zone_names,
)
from shipyard.program.preflight import preflight
from shipyard.program.secret_wiring import wire_secrets
from shipyard.program.source import COMMIT, SourceRevision, app_dir, build_digest
from shipyard.program.tagging import tag_every_resource

PLATFORM = "linux/amd64"


def image_build(
    settings: Settings, revision: SourceRevision, digest: str = ""
) -> ImageBuild | None:
    """The build of app/ this update makes, or None when it deploys `digest` (or a pin)."""
    if digest or settings.image_digest:
        return None
    app = app_dir()
    if not (app / "Dockerfile").is_file():
        raise pulumi.RunError(
            f"nothing to build: {app / 'Dockerfile'} does not exist; add the service's "
            "Dockerfile there, or pin an existing image with shipyard:imageDigest"
        )
    if not COMMIT.fullmatch(revision.commit):
        raise pulumi.RunError(
            f"SHIPYARD_COMMIT {revision.commit!r} is not a git commit (7 to 40 hex digits); "
            "set it to the commit being built, or unset it to ask git"
        )
    context = os.path.relpath(app)
    dockerfile = f"{context}/Dockerfile"
    args = {"APP_VERSION": revision.version, "APP_COMMIT": revision.label}
    inputs_digest = build_digest(app, args, PLATFORM, dockerfile)
    return ImageBuild(
        context=context,
        dockerfile=dockerfile,
        # The environment keeps two stacks' builds of one commit apart; the inputs digest
        # keeps two different builds of one commit apart (see components/registry.py).
        tag=naming.build_tag(
            settings.environment,
            revision.commit,
            inputs_digest[: 2 * naming.HASH_LENGTH],
            revision.dirty,
        ),
        args=args,
        platform=PLATFORM,
    )


# What differs between the targets outside their own component: how the load balancer
# addresses targets, and where CloudWatch keeps their CPU metric.
TARGET_TYPES = {"ecs": "ip", "ec2": "instance"}


def cpu_metric(settings: Settings) -> CpuMetric:
    prefix = settings.resource_prefix
    if settings.target == "ec2":
        return CpuMetric("AWS/EC2", {"AutoScalingGroupName": prefix})
    return CpuMetric("AWS/ECS", {"ClusterName": prefix, "ServiceName": prefix})


def test_listener(settings: Settings) -> TestListenerArgs | None:
    """ECS moves traffic between two target groups for every strategy but rolling."""
    deployment = settings.deployment
    if not settings.ecs_moves_traffic:
        return None
    return TestListenerArgs(deployment.test_listener_port, deployment.test_listener_cidrs)


def build_compute(
    settings: Settings,
    placement: ComputePlacement,
    traffic: TrafficShifting | None,
    ecs_owns_load_balancers: bool = False,
) -> tuple[pulumi.ComponentResource, dict[str, pulumi.Input]]:
    """Run the service on the stack's target; returns it and its own stack outputs."""
    prefix = settings.resource_prefix
    if settings.target == "ec2":
        group = Ec2Service(
            prefix,
            Ec2ServiceArgs(
                group_name=prefix,
                placement=placement,
                instances=settings.ec2,
                deployment=settings.deployment,
                pre_deploy_command=settings.pre_deploy_command,
                pre_deploy_timeout_minutes=settings.pre_deploy_timeout_minutes,
            ),
        )
        return group, {"autoScalingGroupName": group.group_name}
    service = FargateService(
        prefix,
        FargateServiceArgs(
            service_name=prefix,
            placement=placement,
            cpu=settings.cpu,
            memory=settings.memory,
            protect=settings.protect_resources,
            deployment=settings.deployment,
            traffic=traffic,
            ecs_owns_load_balancers=ecs_owns_load_balancers,
            execute_command=settings.execute_command,
            pre_deploy_command=settings.pre_deploy_command,
            pre_deploy_timeout_minutes=settings.pre_deploy_timeout_minutes,
        ),
    )
    return service, {"clusterName": service.cluster_name, "serviceName": service.service_name}


def build_stack(settings: Settings, revision: SourceRevision) -> dict[str, pulumi.Input]:
    prefix = settings.resource_prefix
    protect = settings.protect_resources
    zones = zone_names(settings)
    account = aws.get_caller_identity().account_id
    region = aws.get_region().region
    preflight(settings, account, region)
    repository = service_repository(settings)
    key_arn = environment_key(settings)
    zone = hosted_zone(settings)
    boundary = naming.boundary_policy_arn(account, settings.service_name, settings.environment)
    tag_every_resource(prefix)
    digest = deployed_digest(settings)
    build = image_build(settings, revision, digest)
    registry = ImageRegistry(
        prefix,
        ImageRegistryArgs(
            repository=repository,
            pinned_digest=digest,
            build=build,
        ),
    )
    network = Network(
        prefix,
        NetworkArgs(
            use_default_vpc=settings.network.use_default_vpc,
            cidr=settings.network.vpc_cidr,
            zone_names=zones,
            nat_gateway_per_zone=settings.network.nat_gateway_per_zone,
            protect=protect,
            flow_logs=FlowLogSettings(
                retention_days=settings.log_retention_days,
                key_arn=key_arn,
                region=region,
                account=account,
                permissions_boundary=boundary,
            ),
        ),
    )
    access_logs = (
        AccessLogBucket(
            prefix,
            AccessLogsArgs(
                account=account,
                region=region,
                retention_days=settings.access_log_days,
                protect=protect,
            ),
        )
        if settings.access_logs
        else None
    )
    domain = DomainArgs(settings.domain_name, zone) if zone else None
    certificate_arn: pulumi.Input[str] | None = settings.certificate_arn or None
    if domain:
        certificate_arn = DomainCertificate(prefix, domain).certificate_arn
    load_balancer = LoadBalancer(
        prefix,
        LoadBalancerArgs(
            vpc_id=network.vpc_id,
            public_subnet_ids=network.public_subnet_ids,
            container_port=settings.container_port,
            health_check=settings.health_check,
            target_type=TARGET_TYPES[settings.target],
            idle_timeout=settings.idle_timeout,
            certificate_arn=certificate_arn,
            deletion_protection=settings.alb_deletion_protection,
            protect=protect,
            domain_name=settings.domain_name,
            access_log_bucket=access_logs.bucket_name if access_logs else None,
            access_log_permission=tuple(access_logs.ready) if access_logs else (),
            test_listener=test_listener(settings),
        ),
    )
    traffic = load_balancer.traffic
    if settings.waf:
        WebFirewall(
            prefix,
            WebFirewallArgs(
                load_balancer_arn=load_balancer.load_balancer_arn,
                rate_limit=settings.waf_rate_limit,
                key_arn=key_arn,
                log_retention_days=settings.log_retention_days,
                protect=protect,
            ),
        )
    if domain:
        DomainAlias(
            prefix,
            DomainAliasArgs(
                domain.domain_name, domain.zone, load_balancer.dns_name, load_balancer.zone_id
            ),
        )
    observability = Observability(
        prefix,
        ObservabilityArgs(
            log_retention_days=settings.log_retention_days,
            load_balancer_arn_suffix=load_balancer.load_balancer_arn_suffix,
            target_group_arn_suffix=load_balancer.target_group_arn_suffix,
            cpu_metric=cpu_metric(settings),
            alarm_cpu_percent=settings.alarm_cpu_percent,
            alarm_5xx_per_minute=settings.alarm_5xx_per_minute,
            protect=protect,
            key_arn=key_arn,
            alarm_topic_arn=settings.alarm_topic_arn,
            alarm_emails=settings.alarm_emails,
            alternate_target_group_arn_suffix=(
                traffic.alternate_target_group_arn_suffix if traffic else None
            ),
        ),
    )
    secrets = wire_secrets(settings, account, region, key_arn)
    container = ContainerSpec(
        image_ref=registry.image_ref,
        port=settings.container_port,
        environment=container_environment(
            settings.environment,
            settings.container_port,
            settings.idle_timeout,
            settings.environment_variables,
            secret_names=(reference.variable for reference in settings.secrets),
        ),
        health_command=settings.container_health_check,
        stop_timeout=settings.health_check.stop_timeout,
        log_group_name=observability.log_group_name,
        region=region,
        secrets=secrets.container_secrets,
    )
    private = network.has_private_subnets
    placement = ComputePlacement(
        container=container,
        scaling=settings.scaling,
        health_check_path=settings.health_check.path,
        health_check_grace_period=settings.health_check.grace_period,
        subnet_ids=network.private_subnet_ids if private else network.public_subnet_ids,
        # Only the default VPC's public subnets need one, to reach ECR without NAT.
        assign_public_ip=not private,
        security_group_id=load_balancer.targets_security_group_id,
        target_group_arn=load_balancer.target_group_arn,
        request_count_label=request_count_label(
            load_balancer.load_balancer_arn_suffix, load_balancer.target_group_arn_suffix
        ),
        repository_arn=repository.arn,
        log_group_arn=observability.log_group_arn,
        alarm_names=observability.alarm_names,
        dependencies=[*load_balancer.listeners, *network.egress, *secrets.parameters],
        account=account,
        permissions_boundary=boundary,
        aws_profile=settings.aws_profile,
        secret_grant=secrets.grant,
    )
    owned = traffic is not None and live_service_moves_traffic(settings, account, region)
    compute, compute_outputs = build_compute(settings, placement, traffic, owned)
    release_parameter = naming.release_parameter_name(settings.service_name, settings.environment)
    ReleaseRecord(
        prefix,
        ReleaseRecordArgs(
            parameter=release_parameter, image_ref=registry.image_ref, rollout=compute
        ),
    )
    outputs: dict[str, pulumi.Input] = {
        "url": load_balancer.url,
        "image": registry.image_ref,
        "repositoryUrl": repository.url,
        "releaseParameter": release_parameter,
        "logGroupName": observability.log_group_name,
        "targetGroupArn": load_balancer.target_group_arn,
        "alarmNames": observability.alarm_names,
        "alarmTopicArn": observability.topic_arn,
        "target": settings.target,
        "deploymentStrategy": settings.deployment.strategy,
        **compute_outputs,
    }
    if traffic:
        outputs["alternateTargetGroupArn"] = traffic.alternate_target_group_arn
    if build:
        outputs["commit"] = revision.label
    return outputs

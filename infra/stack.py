"""Compose the components into one environment's stack."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

import naming
from components.access_logs import AccessLogBucket, AccessLogsArgs
from components.autoscaling import request_count_label
from components.compute import ComputePlacement
from components.domain import (
    DomainAlias,
    DomainAliasArgs,
    DomainArgs,
    DomainCertificate,
    HostedZone,
)
from components.ec2_service import Ec2Service, Ec2ServiceArgs
from components.ecs_service import FargateService, FargateServiceArgs
from components.iam import SecretGrant
from components.load_balancer import LoadBalancer, LoadBalancerArgs
from components.network import FlowLogSettings, Network, NetworkArgs
from components.observability import CpuMetric, Observability, ObservabilityArgs
from components.registry import (
    ImageBuild,
    ImageRegistry,
    ImageRegistryArgs,
    ReleaseRecord,
    ReleaseRecordArgs,
    Repository,
)
from components.secret_store import KeptSecret, SecretStore, SecretStoreArgs
from components.web_acl import WebFirewall, WebFirewallArgs
from container import ContainerSecret, ContainerSpec, container_environment
from secret_references import PULUMI, SECRETS_MANAGER, SSM, SecretReference
from settings import Settings, SettingsError
from settings.environment_checks import ZONE_ID, in_zone
from shipyard_cli.model import DIGEST
from source import APP_DIR, COMMIT, SourceRevision, build_digest
from tagging import tag_every_resource

PLATFORM = "linux/amd64"


def image_build(
    settings: Settings, revision: SourceRevision, digest: str = ""
) -> ImageBuild | None:
    """The build of app/ this update makes, or None when it deploys `digest` (or a pin)."""
    if digest or settings.image_digest:
        return None
    if not (APP_DIR / "Dockerfile").is_file():
        raise pulumi.RunError(
            f"nothing to build: {APP_DIR / 'Dockerfile'} does not exist; add the service's "
            "Dockerfile there, or pin an existing image with shipyard:imageDigest"
        )
    if not COMMIT.fullmatch(revision.commit):
        raise pulumi.RunError(
            f"SHIPYARD_COMMIT {revision.commit!r} is not a git commit (7 to 40 hex digits); "
            "set it to the commit being built, or unset it to ask git"
        )
    context = os.path.relpath(APP_DIR)
    dockerfile = f"{context}/Dockerfile"
    args = {"APP_VERSION": revision.version, "APP_COMMIT": revision.label}
    inputs_digest = build_digest(APP_DIR, args, PLATFORM, dockerfile)
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


def service_repository(settings: Settings) -> Repository:
    """The service stack's repository, named after serviceName, looked up before any resource:
    an environment cannot deploy before the service stack has made it."""
    try:
        found = aws.ecr.get_repository(name=settings.service_name)
    except Exception as error:  # the invoke's failure, whatever the engine wraps it in
        if "RepositoryNotFound" not in str(error) and "not found" not in str(error).lower():
            raise
        raise SettingsError(
            [
                f"shipyard:serviceName: the service's ECR repository {settings.service_name} "
                "does not exist in this account and region; deploy the service stack first "
                "(`pulumi up -s shared`), or check serviceName and aws:region"
            ]
        ) from None
    return Repository(found.name, found.repository_url, found.arn, found.registry_id)


def hosted_zone(settings: Settings) -> HostedZone | None:
    """The public zone domainName lives in, looked up before any resource."""
    if not settings.domain_name:
        return None
    by_id = ZONE_ID.fullmatch(settings.hosted_zone)
    try:
        found = (
            aws.route53.get_zone(zone_id=settings.hosted_zone)
            if by_id
            else aws.route53.get_zone(name=settings.hosted_zone, private_zone=False)
        )
    except Exception as error:  # the invoke's failure, whatever the engine wraps it in
        if "not found" not in str(error).lower() and "NoSuchHostedZone" not in str(error):
            raise
        raise SettingsError(
            [
                f"shipyard:hostedZone: no public hosted zone {settings.hosted_zone} in this "
                "account; create it in Route 53 (and delegate the domain to it) first"
            ]
        ) from None
    zone = HostedZone(found.zone_id, found.name.rstrip("."))
    if not in_zone(settings.domain_name, zone.name):
        raise SettingsError(
            [
                f"shipyard:domainName: {settings.domain_name} is not in the zone {zone.name} "
                f"({zone.zone_id}); use a name under it, or the zone it belongs to"
            ]
        )
    return zone


def environment_key(settings: Settings) -> str:
    """The environment's own KMS key, made by the service stack, looked up by its alias."""
    alias = naming.environment_key_alias(settings.service_name, settings.environment)
    try:
        return aws.kms.get_key(key_id=alias).arn
    except Exception as error:  # the invoke's failure, whatever the engine wraps it in
        if "NotFound" not in str(error) and "not found" not in str(error).lower():
            raise
        raise SettingsError(
            [
                f"shipyard:serviceName: the environment's key {alias}, which encrypts its "
                "logs, its alarm topic and the secrets Pulumi keeps, does not exist; add "
                f"{settings.environment} to the service stack's deployEnvironments and run "
                "`pulumi up -s shared` first"
            ]
        ) from None


def recorded_release(settings: Settings) -> str:
    """The digest the environment's release record holds, or "" before its first deploy."""
    name = naming.release_parameter_name(settings.service_name, settings.environment)
    try:
        return aws.ssm.get_parameter(name=name, with_decryption=False).value
    except Exception as error:
        if "ParameterNotFound" not in str(error):
            raise
        return ""


def deployed_digest(settings: Settings) -> str:
    """What this update deploys without building: the pin, or for a stack that deploys
    only released images, its release record. "" means build app/."""
    if settings.image_digest:
        return settings.image_digest
    if settings.image_source == "build":
        return ""
    recorded = recorded_release(settings)
    if recorded and not DIGEST.fullmatch(recorded):
        raise SettingsError(
            [
                f"shipyard:imageSource: the release record of {settings.environment} holds "
                f"{recorded[:80]!r}, not a digest; deploy one with `shipyard deploy "
                f"{settings.environment} --image sha256:...`"
            ]
        )
    if not recorded:
        raise SettingsError(
            [
                f"shipyard:imageSource: {settings.environment} deploys only released images, "
                "and none is recorded yet; release one with `shipyard deploy "
                f"{settings.environment} --image sha256:...` or `shipyard promote <env> "
                f"{settings.environment}` (or pin shipyard:imageDigest)"
            ]
        )
    return recorded


def zone_names(settings: Settings) -> tuple[str, ...]:
    """The zones a created VPC spans, checked before any resource is registered.

    Only zones every account has (opt-in-not-required): Local Zones and Wavelength Zones an
    account opted into are "available" too, sort first, and lack NAT gateways and Fargate.
    """
    wanted = settings.network.availability_zones
    if settings.network.use_default_vpc:
        return ()
    found = aws.get_availability_zones(
        state="available",
        filters=[
            aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])
        ],
    )
    names = tuple(sorted(found.names))
    if len(names) < wanted:
        region = aws.get_region().region
        raise SettingsError(
            [
                f"shipyard:availabilityZones: {wanted} zones asked for, but {region} has "
                f"{len(names)} ({', '.join(names) or 'none'}); use at most {len(names)}"
            ]
        )
    return names[:wanted]


# What differs between the targets outside their own component: how the load balancer
# addresses targets, and where CloudWatch keeps their CPU metric.
TARGET_TYPES = {"ecs": "ip", "ec2": "instance"}


def cpu_metric(settings: Settings) -> CpuMetric:
    prefix = settings.resource_prefix
    if settings.target == "ec2":
        return CpuMetric("AWS/EC2", {"AutoScalingGroupName": prefix})
    return CpuMetric("AWS/ECS", {"ClusterName": prefix, "ServiceName": prefix})


def build_compute(
    settings: Settings, placement: ComputePlacement
) -> tuple[pulumi.ComponentResource, dict[str, pulumi.Input]]:
    """Run the service on the stack's target; returns it and its own stack outputs."""
    prefix = settings.resource_prefix
    if settings.target == "ec2":
        group = Ec2Service(
            prefix,
            Ec2ServiceArgs(group_name=prefix, placement=placement, instances=settings.ec2),
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
        ),
    )
    return service, {"clusterName": service.cluster_name, "serviceName": service.service_name}


def foreign_secrets(settings: Settings, account: str) -> None:
    """Secrets are read in the stack's own account: refuse, before any resource, an ARN of
    another one (settings cannot know the account; only this lookup does)."""
    foreign = [ref for ref in settings.secrets if ref.account and ref.account != account]
    if foreign:
        raise SettingsError(
            [
                f"shipyard:secrets: {ref.variable} is in account {ref.account}, but the stack "
                f"deploys to {account}; the environment's roles read secrets of their own "
                "account only, so store it there"
                for ref in foreign
            ]
        )


@dataclass(frozen=True)
class SecretWiring:
    container_secrets: tuple[ContainerSecret, ...]
    grant: SecretGrant | None
    # The parameters Pulumi writes: tasks and instances start only once they exist.
    parameters: list[pulumi.Resource]


def wire_secrets(
    settings: Settings, account: str, region: pulumi.Output[str], key_arn: str
) -> SecretWiring:
    """Where the container's secrets come from, and what its starting role may read."""
    if not settings.secrets:
        return SecretWiring((), None, [])
    kept = [ref for ref in settings.secrets if ref.kind == PULUMI]
    store = None
    if kept:
        values = dict(settings.secret_values)
        store = SecretStore(
            settings.resource_prefix,
            SecretStoreArgs(
                key_arn=key_arn,
                secrets=tuple(
                    KeptSecret(ref.variable, ref.name, values[ref.variable]) for ref in kept
                ),
            ),
        )

    def arn_of(ref: SecretReference) -> pulumi.Output[str]:
        return region.apply(lambda name: ref.arn(name, account))

    def value_from(ref: SecretReference) -> pulumi.Input[str]:
        if store is not None and ref.kind == PULUMI:
            return store.parameter_arns[ref.variable]
        return region.apply(lambda name: ref.value_from(name, account))

    referenced_parameters = [arn_of(ref) for ref in settings.secrets if ref.kind == SSM]
    grant = SecretGrant(
        parameter_arns=[
            *(store.parameter_arns.values() if store else ()),
            *referenced_parameters,
        ],
        secret_arns=[ref.arn("", "") for ref in settings.secrets if ref.kind == SECRETS_MANAGER],
        kept_key_arn=key_arn if store else None,
        referenced_parameter_arns=referenced_parameters,
        region=region,
        account=account,
    )
    return SecretWiring(
        tuple(ContainerSecret(ref, value_from(ref)) for ref in settings.secrets),
        grant,
        list(store.parameters) if store else [],
    )


def build_stack(settings: Settings, revision: SourceRevision) -> dict[str, pulumi.Input]:
    prefix = settings.resource_prefix
    protect = settings.protect_resources
    zones = zone_names(settings)
    account = aws.get_caller_identity().account_id
    foreign_secrets(settings, account)
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
                region=aws.get_region().region,
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
                region=aws.get_region().region,
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
        ),
    )
    if settings.waf:
        WebFirewall(
            prefix,
            WebFirewallArgs(
                load_balancer_arn=load_balancer.load_balancer_arn,
                rate_limit=settings.waf_rate_limit,
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
        ),
    )
    region = aws.get_region_output().region
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
    compute, compute_outputs = build_compute(settings, placement)
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
        **compute_outputs,
    }
    if build:
        outputs["commit"] = revision.label
    return outputs

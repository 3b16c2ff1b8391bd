"""What an environment's program looks up in AWS before it registers any resource: what the
service stack made (the repository, the environment's key), the release record, the hosted
zone, the zones. Each missing piece is a SettingsError that says what to do."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pulumi_aws as aws

from shipyard.config import Settings, SettingsError, naming
from shipyard.config.edge_checks import ZONE_ID, in_zone
from shipyard.config.model import DIGEST
from shipyard.program.components.domain import HostedZone
from shipyard.program.components.registry import Repository

T = TypeVar("T")

def found_or_refused(look_up: Callable[[], T], not_found: str, problem: str) -> T:
    """An invoke's answer, or, when AWS says what it looked for does not exist, the one
    settings problem that says what to do (any other failure is raised as it is)."""
    try:
        return look_up()
    except Exception as error:  # the invoke's failure, whatever the engine wraps it in
        if not_found not in str(error) and "not found" not in str(error).lower():
            raise
        raise SettingsError([problem]) from None


def service_repository(settings: Settings) -> Repository:
    """The service stack's repository, named after serviceName, looked up before any resource:
    an environment cannot deploy before the service stack has made it."""
    found = found_or_refused(
        lambda: aws.ecr.get_repository(name=settings.service_name),
        "RepositoryNotFound",
        f"shipyard:serviceName: the service's ECR repository {settings.service_name} does not "
        "exist in this account and region; deploy the service stack first (`pulumi up -s "
        "shared`), or check serviceName and aws:region",
    )
    return Repository(found.name, found.repository_url, found.arn, found.registry_id)


def hosted_zone(settings: Settings) -> HostedZone | None:
    """The public zone domainName lives in, looked up before any resource."""
    if not settings.domain_name:
        return None
    by_id = ZONE_ID.fullmatch(settings.hosted_zone)
    found = found_or_refused(
        lambda: (
            aws.route53.get_zone(zone_id=settings.hosted_zone)
            if by_id
            else aws.route53.get_zone(name=settings.hosted_zone, private_zone=False)
        ),
        "NoSuchHostedZone",
        f"shipyard:hostedZone: no public hosted zone {settings.hosted_zone} in this account; "
        "create it in Route 53 (and delegate the domain to it) first",
    )
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
    return found_or_refused(
        lambda: aws.kms.get_key(key_id=alias),
        "NotFound",
        f"shipyard:serviceName: the environment's key {alias}, which encrypts its logs, its "
        "alarm topic and the secrets Pulumi keeps, does not exist; add "
        f"{settings.environment} to the service stack's deployEnvironments and run `pulumi up "
        "-s shared` first",
    ).arn


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



def live_service_moves_traffic(settings: Settings, account: str, region: str) -> bool:
    """Has ECS taken over the service's target groups (it runs blue/green, canary or linear
    already)? Only then may Pulumi leave `loadBalancers` to ECS: a service switching from
    rolling must first be given the second group, the rules and the role."""
    if not settings.ecs_moves_traffic:
        return False
    prefix = settings.resource_prefix
    try:
        service = aws.ecs.get_service(
            cluster_arn=f"arn:aws:ecs:{region}:{account}:cluster/{prefix}", service_name=prefix
        )
    except Exception as error:  # a new environment: no cluster or service yet
        said = str(error).lower()
        if not any(text in said for text in ("not found", "notfound", "empty result")):
            raise
        return False
    if service.status == "INACTIVE":  # deleted; created again by this update
        return False
    return any(balancer.advanced_configurations for balancer in service.load_balancers or [])

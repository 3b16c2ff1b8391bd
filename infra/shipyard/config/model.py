"""What the program consumes: typed settings, grouped by the component that uses them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from shipyard.config import naming
from shipyard.config.secret_references import SecretReference

# An image digest as ECR names images, and as shipyard pins and records them.
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
# The load balancer's own listeners: HTTP and HTTPS.
LISTENER_PORTS = frozenset({80, 443})


def ecs_moves_traffic(target: str, strategy: str) -> bool:
    """ECS moves the service's traffic between two target groups: every deployment strategy
    but rolling, on ECS (on EC2 they are instance refresh checkpoints). The one rule the
    program, its settings and the CLI share."""
    return target == "ecs" and strategy != "rolling"


@dataclass(frozen=True)
class HealthCheckSettings:
    path: str
    interval: int
    timeout: int
    healthy_threshold: int
    unhealthy_threshold: int
    matcher: str
    grace_period: int
    deregistration_delay: int
    stop_timeout: int


@dataclass(frozen=True)
class ScalingSettings:
    desired_count: int
    min_capacity: int
    max_capacity: int
    scale_on_cpu: bool
    cpu_target_percent: int
    scale_on_memory: bool
    memory_target_percent: int
    scale_on_requests: bool
    requests_per_target: int
    scale_in_cooldown: int
    scale_out_cooldown: int


@dataclass(frozen=True)
class NetworkSettings:
    use_default_vpc: bool
    vpc_cidr: str
    availability_zones: int
    nat_gateway_per_zone: bool


@dataclass(frozen=True)
class Ec2Settings:
    instance_type: str
    ami_id: str
    root_volume_gb: int
    refresh_min_healthy_percent: int
    refresh_max_healthy_percent: int
    instance_warmup: int
    boot_timeout: int
    session_manager: bool = False


@dataclass(frozen=True)
class DeploymentSettings:
    """How a new image takes traffic (shipyard/config/strategy_checks.py has the rules)."""

    strategy: str  # rolling | blue_green | canary | linear
    bake_minutes: int
    canary_percent: int
    canary_bake_minutes: int
    linear_step_percent: int
    linear_step_minutes: int
    test_listener_port: int
    test_listener_cidrs: tuple[str, ...]


@dataclass(frozen=True)
class Settings:
    """An environment stack's settings."""

    environment: str
    target: str
    service_name: str
    container_port: int
    image_source: str  # build | release
    image_digest: str
    environment_variables: tuple[tuple[str, str], ...]
    secrets: tuple[SecretReference, ...]
    # (name, plaintext) of the values Pulumi keeps; never shown in a repr.
    secret_values: tuple[tuple[str, str], ...] = field(repr=False)
    container_health_check: tuple[str, ...]
    cpu: int
    memory: int
    ec2: Ec2Settings
    scaling: ScalingSettings
    health_check: HealthCheckSettings
    network: NetworkSettings
    deployment: DeploymentSettings
    idle_timeout: int
    certificate_arn: str
    domain_name: str
    hosted_zone: str  # ID (Z...) or name
    alb_deletion_protection: bool
    access_logs: bool
    access_log_days: int
    waf: bool
    waf_rate_limit: int
    log_retention_days: int
    alarm_cpu_percent: int
    alarm_5xx_per_minute: int
    alarm_emails: tuple[str, ...]
    alarm_topic_arn: str
    protect_resources: bool
    # ECS Exec: `shipyard exec` may open a shell in the service's containers.
    execute_command: bool = False
    # Run by each new image before the service moves to it (exec form); () for none.
    pre_deploy_command: tuple[str, ...] = ()
    pre_deploy_timeout_minutes: int = 10
    aws_profile: str = ""  # aws:profile, for the steps that call AWS themselves

    @property
    def resource_prefix(self) -> str:
        return naming.resource_prefix(self.service_name, self.environment)

    @property
    def ecs_moves_traffic(self) -> bool:
        return ecs_moves_traffic(self.target, self.deployment.strategy)


@dataclass(frozen=True)
class ServiceStackSettings:
    """The service stack's settings: the repository and the deploy roles."""

    stack: str
    service_name: str
    keep_images: int
    protect_resources: bool
    github_repository: str  # owner/name
    github_oidc_provider_arn: str  # empty: create the provider
    deploy_environments: tuple[str, ...]  # entries: stack, or stack=github-environment
    pulumi_state_bucket: str
    pulumi_secrets_key_arn: str
    repository_moved_from: str


def deploy_entry(entry: str) -> tuple[str, str]:
    """A deployEnvironments entry, `stack` or `stack=github-environment`, as (stack, the
    GitHub environment as written: "" when the entry names none)."""
    stack, _, github_environment = entry.partition("=")
    return stack, github_environment

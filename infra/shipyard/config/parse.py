"""From raw Pulumi config to Settings: parse each value, run every check, build the model."""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Collection, Mapping
from typing import Any

import pulumi

from shipyard.config import aws_limits
from shipyard.config.checks import Values, run_checks
from shipyard.config.keys import KEYS, KEYS_BY_NAME, NAMESPACE, RETIRED, SERVICE, Key
from shipyard.config.model import (
    DeploymentSettings,
    Ec2Settings,
    HealthCheckSettings,
    NetworkSettings,
    ScalingSettings,
    ServiceStackSettings,
    Settings,
)
from shipyard.config.secret_references import PULUMI, SecretReference, parse_entry
from shipyard.config.stack_files import ENCRYPTED, program_project_dir, project_default
from shipyard.config.variables import name_value_pairs


class SettingsError(pulumi.RunError):
    """The stack file has problems; the message lists each with its key and what to do."""

    WHERE = "in the stack configuration"

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(
            f"{len(problems)} problem(s) {self.WHERE}; nothing was deployed:\n{listing}"
        )


KIND_WORDS = {int: "a whole number", bool: "true or false", list: 'a list like ["A", "B"]'}


def parse_value(key: Key, raw: Any) -> Any:
    """Convert a config value (the engine hands over strings) to the key's type."""
    if key.kind is str:
        return str(raw)
    if raw == "":
        # Pulumi reads an empty or null entry (`key:`, `key: null`, `key: ~`) as "".
        raise ValueError(f"has no value; set {KIND_WORDS[key.kind]}, or remove the key")
    if key.kind is bool:
        if isinstance(raw, bool):
            return raw
        if str(raw).lower() in ("true", "false"):
            return str(raw).lower() == "true"
        raise ValueError(f"{raw!r} is not a boolean; use true or false")
    if key.kind is int:
        if isinstance(raw, bool):
            raise ValueError(f"{raw!r} is not a whole number")
        try:
            return int(str(raw))
        except ValueError:
            raise ValueError(f"{raw!r} is not a whole number") from None
    not_a_list = ValueError(f'{raw!r} is not a list of strings; write it as ["A", "B"]')
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        raise not_a_list from None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise not_a_list
    return value


def _closest_key(name: str) -> str | None:
    by_lower = {key.lower(): key for key in KEYS_BY_NAME}
    if name.lower() in by_lower:
        return by_lower[name.lower()]
    close = difflib.get_close_matches(name, KEYS_BY_NAME, n=1)
    return close[0] if close else None


def config_key_problems(raw_config: Mapping[str, Any]) -> list[str]:
    """Keys shipyard would otherwise ignore: unknown ones in its namespace, its own in another
    or a misspelt namespace, and an aws:region that is not a region."""
    problems = []
    for full_key in sorted(raw_config):
        namespace, _, name = full_key.partition(":")
        closest = _closest_key(name)
        if namespace == NAMESPACE:
            if name in RETIRED:
                problems.append(f"{full_key}: no longer a setting: {RETIRED[name]}")
            elif name not in KEYS_BY_NAME:
                hint = f"; did you mean {NAMESPACE}:{closest}?" if closest else ""
                problems.append(
                    f"{full_key}: unknown key{hint} (every key: docs/settings.md)"
                )
        elif namespace.lower() == NAMESPACE or difflib.get_close_matches(
            namespace.lower(), [NAMESPACE], cutoff=0.75
        ):
            problems.append(
                f"{full_key}: {namespace!r} is not shipyard's namespace (it is case-sensitive); "
                f"write {NAMESPACE}:{closest or name}"
            )
        elif name in KEYS_BY_NAME or (closest and closest.lower() == name.lower()):
            problems.append(
                f"{full_key}: {closest} is a shipyard setting, read only as "
                f"{NAMESPACE}:{closest}; {namespace} ignores it"
            )
    region = raw_config.get("aws:region")
    if region is not None and str(region) not in aws_limits.known_regions():
        close = difflib.get_close_matches(str(region), aws_limits.known_regions(), n=1)
        hint = f"; did you mean {close[0]}?" if close else ", like us-east-1"
        shown = repr(region) if region != "" else "(empty)"
        problems.append(f"aws:region: {shown} is not an AWS region{hint}")
    return problems


def _departs_from_default(key: Key, raw: Any) -> bool:
    """Whether a value says something its key's default does not.

    The engine sets every key Pulumi.yaml declares a default for and the stack file lacks
    (engine_config), so presence says nothing about the stack file. The program cannot see
    the file under every launcher (the CLI, the Automation API, `-c`, ESC environments), but
    it can see the value: one equal to the default changes nothing in any stack, so a key is
    blamed only for a value that would do something. A stack file that spells out a default
    where it does nothing is left alone; nothing is lost by it."""
    try:
        return bool(parse_value(key, raw) != key.default)
    except ValueError:
        return True


def scope_problems(raw_config: Mapping[str, Any], kind: str) -> list[str]:
    """Keys set in a stack of the other kind, to a value that would do nothing there."""
    what = {SERVICE: "the service stack"}.get(kind, "environment stacks")
    return [
        f"{key.path}: does nothing in {what} (kind: {kind}); it applies to "
        f"{' and '.join(f'{scope} stacks' for scope in key.scopes)}, so remove it here"
        for key in KEYS
        if key.path in raw_config
        and kind not in key.scopes
        and _departs_from_default(key, raw_config[key.path])
    ]


# Set by the offline evaluation (shipyard validate, the tests), which cannot decrypt.
OFFLINE_VARIABLE = "SHIPYARD_OFFLINE_CHECK"
# The one key whose value is a secret; shipyard puts every other in plain text in resources.
SECRET_VALUES = f"{NAMESPACE}:secretValues"


def secret_key_problems(secret_keys: Collection[str]) -> list[str]:
    return [
        f"{key}: set as a secret, but shipyard puts it in plain text in resources (the task "
        f"definition, the user data); set it without --secret, and keep secrets in "
        f"{SECRET_VALUES} or in AWS (shipyard:secrets)"
        for key in sorted(secret_keys)
        if key.startswith(f"{NAMESPACE}:") and key != SECRET_VALUES
    ]


def parse_settings(
    environment: str,
    raw_config: Mapping[str, Any],
    secret_keys: Collection[str] = (),
    offline: bool = False,
) -> Settings | ServiceStackSettings:
    """Build the stack's settings from `shipyard:*` config values (an environment's, or the
    service stack's when kind is service); raise SettingsError listing every problem.
    `secret_keys` are the config keys the stack holds encrypted; `offline`, whether their
    values could be decrypted (not in an offline check)."""
    problems = config_key_problems(raw_config) + secret_key_problems(secret_keys)
    parsed: dict[str, Any] = {}
    unparsed: set[str] = set()
    for key in KEYS:
        raw = raw_config.get(key.path)
        if key.path != SECRET_VALUES and key.path in secret_keys:
            # Refused above; checked no further, so no problem quotes what may be a secret.
            parsed[key.name] = key.default
            unparsed.add(key.path)
            continue
        if raw is None:
            parsed[key.name] = key.default
            continue
        if offline and raw == ENCRYPTED and key.kind is list:
            parsed[key.name] = [ENCRYPTED]  # encrypted as a whole; see secret_checks
            continue
        try:
            parsed[key.name] = parse_value(key, raw)
        except ValueError as error:
            # Never the value of a secret, not even to say what is wrong with it.
            secret = key.path == SECRET_VALUES  # the only encrypted key that gets here
            said = (
                "is not a list of NAME=value strings (not shown: it is a secret)"
                if secret
                else str(error)
            )
            problems.append(f"{key.path}: {said}")
            unparsed.add(key.path)
            # The default stands in so the other checks still run and report their problems.
            parsed[key.name] = key.default
    region = str(raw_config.get("aws:region") or "")
    problems += exec_on_protected(parsed)
    if parsed["kind"] in (SERVICE, "environment"):
        problems += scope_problems(raw_config, parsed["kind"])
    problems += run_checks(
        Values(environment, parsed, region, frozenset(secret_keys), offline), unparsed
    )
    if problems:
        raise SettingsError(problems)
    if parsed["kind"] == SERVICE:
        return build_service(environment, parsed)
    return build(environment, parsed, aws_profile=str(raw_config.get("aws:profile") or ""))


def exec_on_protected(parsed: Mapping[str, Any]) -> list[str]:
    """ECS Exec opens a shell in the containers: a stack with protectResources has it only
    when its own config turns it on. The engine hands the program Pulumi.yaml's defaults
    merged in, so a true that is also the project's default may not be the stack's own."""
    if not (parsed.get("exec") and parsed.get("protectResources")):
        return []
    if project_default(program_project_dir(), "exec") != "true":
        return []
    return [
        f"{NAMESPACE}:exec: Pulumi.yaml's default turns ECS Exec on for every stack, and this "
        "one has protectResources; set the default back to false, and set shipyard:exec: "
        "true in the stack file of each stack that should have it"
    ]


def environment_settings(
    environment: str,
    raw_config: Mapping[str, Any],
    secret_keys: Collection[str] = (),
    offline: bool = False,
) -> Settings:
    """An environment stack's settings; the service stack's config is refused here."""
    settings = parse_settings(environment, raw_config, secret_keys, offline)
    if not isinstance(settings, Settings):
        raise SettingsError(
            [f"{NAMESPACE}:kind: {environment} is the service stack, not an environment"]
        )
    return settings


def build_service(stack: str, v: dict[str, Any]) -> ServiceStackSettings:
    return ServiceStackSettings(
        stack=stack,
        service_name=v["serviceName"],
        keep_images=v["keepImages"],
        protect_resources=v["protectResources"],
        github_repository=v["githubRepository"],
        github_oidc_provider_arn=v["githubOidcProviderArn"],
        deploy_environments=tuple(v["deployEnvironments"]),
        pulumi_state_bucket=v["pulumiStateBucket"],
        pulumi_secrets_key_arn=v["pulumiSecretsKeyArn"],
        repository_moved_from=v["repositoryMovedFrom"],
    )


def kept_values(
    secrets: tuple[SecretReference, ...], entries: list[str]
) -> tuple[tuple[str, str], ...]:
    """(name, value) of each value Pulumi keeps. Where the stack file's values could not be
    decrypted (an offline check), a name without a readable value gets ENCRYPTED."""
    given = dict(name_value_pairs(entry for entry in entries if entry != ENCRYPTED))
    kept = [ref.variable for ref in secrets if ref.kind == PULUMI]
    return tuple((name, given.get(name, ENCRYPTED)) for name in kept)


def build(environment: str, v: dict[str, Any], aws_profile: str = "") -> Settings:
    secrets = tuple(parse_entry(entry, v["serviceName"], environment) for entry in v["secrets"])
    return Settings(
        environment=environment,
        target=v["target"],
        service_name=v["serviceName"],
        container_port=v["containerPort"],
        image_source=v["imageSource"],
        image_digest=v["imageDigest"],
        environment_variables=name_value_pairs(v["environmentVariables"]),
        secrets=secrets,
        secret_values=kept_values(secrets, v["secretValues"]),
        container_health_check=tuple(v["containerHealthCheck"]),
        cpu=v["cpu"],
        memory=v["memory"],
        ec2=Ec2Settings(
            instance_type=v["instanceType"],
            ami_id=v["amiId"],
            root_volume_gb=v["rootVolumeGb"],
            refresh_min_healthy_percent=v["instanceRefreshMinHealthyPercent"],
            refresh_max_healthy_percent=v["instanceRefreshMaxHealthyPercent"],
            instance_warmup=v["instanceWarmup"],
            boot_timeout=v["instanceBootTimeout"],
            session_manager=v["sessionManager"],
        ),
        scaling=ScalingSettings(
            desired_count=v["desiredCount"],
            min_capacity=v["minCapacity"],
            max_capacity=v["maxCapacity"],
            scale_on_cpu=v["scaleOnCpu"],
            cpu_target_percent=v["cpuTargetPercent"],
            scale_on_memory=v["scaleOnMemory"],
            memory_target_percent=v["memoryTargetPercent"],
            scale_on_requests=v["scaleOnRequests"],
            requests_per_target=v["requestsPerTarget"],
            scale_in_cooldown=v["scaleInCooldown"],
            scale_out_cooldown=v["scaleOutCooldown"],
        ),
        health_check=HealthCheckSettings(
            path=v["healthCheckPath"],
            interval=v["healthCheckInterval"],
            timeout=v["healthCheckTimeout"],
            healthy_threshold=v["healthyThreshold"],
            unhealthy_threshold=v["unhealthyThreshold"],
            matcher=v["healthCheckMatcher"],
            grace_period=v["healthCheckGracePeriod"],
            deregistration_delay=v["deregistrationDelay"],
            stop_timeout=v["stopTimeout"],
        ),
        network=NetworkSettings(
            use_default_vpc=v["useDefaultVpc"],
            vpc_cidr=v["vpcCidr"],
            availability_zones=v["availabilityZones"],
            nat_gateway_per_zone=v["natGatewayPerZone"],
        ),
        deployment=DeploymentSettings(
            strategy=v["deploymentStrategy"],
            bake_minutes=v["bakeMinutes"],
            canary_percent=v["canaryPercent"],
            canary_bake_minutes=v["canaryBakeMinutes"],
            linear_step_percent=v["linearStepPercent"],
            linear_step_minutes=v["linearStepMinutes"],
            test_listener_port=v["testListenerPort"],
            test_listener_cidrs=tuple(v["testListenerCidrs"]),
        ),
        idle_timeout=v["idleTimeout"],
        certificate_arn=v["certificateArn"],
        domain_name=v["domainName"],
        hosted_zone=v["hostedZone"],
        alb_deletion_protection=v["albDeletionProtection"],
        access_logs=v["accessLogs"],
        access_log_days=v["accessLogDays"],
        waf=v["waf"],
        waf_rate_limit=v["wafRateLimit"],
        log_retention_days=v["logRetentionDays"],
        alarm_cpu_percent=v["alarmCpuPercent"],
        alarm_5xx_per_minute=v["alarm5xxPerMinute"],
        alarm_emails=tuple(v["alarmEmails"]),
        alarm_topic_arn=v["alarmTopicArn"],
        protect_resources=v["protectResources"],
        execute_command=v["exec"],
        pre_deploy_command=tuple(v["preDeployCommand"]),
        pre_deploy_timeout_minutes=v["preDeployTimeout"],
        aws_profile=aws_profile,
    )


def load_settings() -> Settings | ServiceStackSettings:
    """Read this stack's config from the Pulumi runtime and validate it."""
    from pulumi.runtime import config as runtime_config

    # Explicitly set config and the engine's PULUMI_CONFIG bag, so typos in either are seen.
    raw = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secret_keys = {*runtime_config.get_config_secret_keys_env()}
    secret_keys |= {key for key in raw if runtime_config.is_config_secret(key)}
    offline = os.environ.get(OFFLINE_VARIABLE) == "1"
    return parse_settings(pulumi.get_stack(), raw, secret_keys, offline)

"""Typed, validated stack settings: the only package that reads Pulumi config.

keys.py declares every key once (type, default, description); parse.py reads raw config into
typed values; checks.py holds the rules AWS and shipyard impose; model.py is what the
program consumes. A stack file with problems fails with one SettingsError that lists every
problem by key and says what is allowed, before any resource exists.
"""

from shipyard.config.aws_limits import (
    EC2_INSTANCE_TYPES,
    FARGATE_SIZES,
    LOG_RETENTION_DAYS,
    TARGETS,
)
from shipyard.config.keys import KEYS, KEYS_BY_NAME, NAMESPACE, Key
from shipyard.config.model import (
    DeploymentSettings,
    Ec2Settings,
    HealthCheckSettings,
    NetworkSettings,
    ScalingSettings,
    ServiceStackSettings,
    Settings,
)
from shipyard.config.parse import SettingsError, environment_settings, load_settings, parse_settings

__all__ = [
    "EC2_INSTANCE_TYPES",
    "FARGATE_SIZES",
    "KEYS",
    "KEYS_BY_NAME",
    "LOG_RETENTION_DAYS",
    "NAMESPACE",
    "TARGETS",
    "DeploymentSettings",
    "Ec2Settings",
    "HealthCheckSettings",
    "Key",
    "NetworkSettings",
    "ScalingSettings",
    "ServiceStackSettings",
    "Settings",
    "SettingsError",
    "environment_settings",
    "load_settings",
    "parse_settings",
]

"""Stack settings: defaults, and bad stack files rejected by key path before any resource."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from devtools import pulumi_mocks
from shipyard.config import (
    FARGATE_SIZES,
    KEYS,
    ServiceStackSettings,
    Settings,
    SettingsError,
    parse_settings,
)
from shipyard.config.engine_config import ConfigTypeError, engine_config

from .conftest import rejected

# (overrides on the dev stack file, the key path the message must name, words it must say)
BAD_STACK_FILES = [
    ({"cpu": 300}, "shipyard:cpu", "is not a Fargate size; use 256, 512"),
    ({"cpu": 256, "memory": 4096}, "shipyard:memory", "use 512, 1024, 2048"),
    ({"cpu": 1024, "memory": 1024}, "shipyard:memory", "2048 to 8192 in steps of 1024"),
    ({"minCapacity": 3, "maxCapacity": 2}, "shipyard:minCapacity", "above shipyard:maxCapacity"),
    ({"desiredCount": 9}, "shipyard:desiredCount", "outside minCapacity..maxCapacity"),
    ({"healthCheckPath": "health"}, "shipyard:healthCheckPath", "must start with /"),
    ({"healthCheckPath": "/he alth"}, "shipyard:healthCheckPath", "no spaces"),
    ({"logRetentionDays": 10}, "shipyard:logRetentionDays", "use 1, 3, 5, 7, 14"),
    ({"target": "kubernetes"}, "shipyard:target", "use ecs"),
    ({"memroy": 512}, "shipyard:memroy", "unknown key; did you mean shipyard:memory?"),
    ({"healthCheckInterval": 3}, "shipyard:healthCheckInterval", "use 5 to 300"),
    ({"healthCheckTimeout": 6}, "shipyard:healthCheckTimeout", "shorter than"),
    ({"healthyThreshold": 1}, "shipyard:healthyThreshold", "use 2 to 10"),
    ({"unhealthyThreshold": 11}, "shipyard:unhealthyThreshold", "use 2 to 10"),
    ({"healthCheckMatcher": "ok"}, "shipyard:healthCheckMatcher", "200-299"),
    ({"containerPort": 70000}, "shipyard:containerPort", "use 1 to 65535"),
    ({"imageDigest": "latest"}, "shipyard:imageDigest", "sha256: followed by 64 hex"),
    ({"imageDigest": "sha256:abc"}, "shipyard:imageDigest", "is not an image digest"),
    ({"environmentVariables": ["NOEQUALS"]}, "shipyard:environmentVariables", "NAME=value"),
    ({"environmentVariables": ["PORT=1"]}, "shipyard:environmentVariables", "set by shipyard"),
    # dev uses the default VPC: the network keys apply once it creates one.
    ({"useDefaultVpc": False, "vpcCidr": "10.0.0.0/8"}, "shipyard:vpcCidr", "use /16 to /20"),
    ({"useDefaultVpc": False, "vpcCidr": "ten-dot-oh"}, "shipyard:vpcCidr",
     "not a CIDR block"),
    ({"useDefaultVpc": False, "availabilityZones": 1}, "shipyard:availabilityZones",
     "use 2 to 6"),
    ({"certificateArn": "arn:aws:iam::1:cert"}, "shipyard:certificateArn", "ACM certificate"),
    ({"serviceName": "My_Service"}, "shipyard:serviceName", "lowercase letters"),
    ({"serviceName": "a" * 21}, "shipyard:serviceName", "2-20"),
    ({"deregistrationDelay": -1}, "shipyard:deregistrationDelay", "use 0 to 3600"),
    ({"stopTimeout": 600}, "shipyard:stopTimeout", "use 2 to 120"),
    ({"scaleOnCpu": False}, "shipyard:maxCapacity", "no metric is on"),
    ({"containerHealthCheck": ["curl", "-f", "x"]}, "shipyard:containerHealthCheck", "CMD"),
    ({"cpuTargetPercent": 100}, "shipyard:cpuTargetPercent", "use 10 to 95"),
]


@pytest.mark.parametrize(
    ("overrides", "key_path", "advice"),
    BAD_STACK_FILES,
    ids=[f"{case[1].split(':')[1]}-{index}" for index, case in enumerate(BAD_STACK_FILES)],
)
def test_bad_stack_file_is_rejected_by_key_path_before_any_resource(overrides, key_path, advice):
    problems = rejected("dev", overrides, key_path)
    assert advice in problems[0]


def test_every_problem_is_listed_in_one_message():
    with pytest.raises(SettingsError) as raised:
        pulumi_mocks.evaluate(
            "dev",
            overrides={"cpu": 300, "healthCheckPath": "x", "logRetentionDays": 2, "typo": 1},
        )
    keys = sorted(problem.split(": ")[0] for problem in raised.value.problems)
    assert keys == [
        "shipyard:cpu", "shipyard:healthCheckPath", "shipyard:logRetentionDays", "shipyard:typo"
    ]  # fmt: skip
    for key in keys:
        assert key in str(raised.value)


def received(stack: str, values: dict) -> dict[str, str]:
    """What the engine hands the program for a stack file holding `values`."""
    return engine_config(stack, values, pulumi_mocks.REPO_ROOT)


def test_every_problem_of_the_wrong_type_is_listed_in_the_engines_words():
    # The engine stops at the first; shipyard validate lists them all, none hiding another.
    with pytest.raises(ConfigTypeError) as raised:
        received("dev", {"shipyard:cpu": "big", "shipyard:minCapacity": "nine",
                         "shipyard:scaleOnCpu": "yes"})  # fmt: skip
    assert raised.value.problems == [
        "shipyard:cpu: Stack 'dev' with configuration key 'cpu' must be of type 'integer'; "
        "write a whole number",
        "shipyard:minCapacity: Stack 'dev' with configuration key 'minCapacity' must be of "
        "type 'integer'; write a whole number",
        "shipyard:scaleOnCpu: Stack 'dev' with configuration key 'scaleOnCpu' must be of "
        "type 'boolean'; write true or false (YAML's yes, no, on and off are text to Pulumi)",
    ]


def test_a_value_that_fails_a_check_does_not_hide_other_problems():
    with pytest.raises(SettingsError) as raised:
        parse_settings("dev", received("dev", {"shipyard:cpu": 300, "shipyard:minCapacity": 9}))
    keys = [problem.split(": ")[0] for problem in raised.value.problems]
    assert keys == ["shipyard:cpu", "shipyard:minCapacity"]


def test_other_namespaces_are_not_ours_to_judge():
    settings = parse_settings(
        "dev", received("dev", {"aws:region": "eu-west-1", "aws:profile": "x"})
    )
    assert settings.cpu == 256


def test_defaults_are_fast_and_valid():
    settings = parse_settings("dev", received("dev", {}))
    assert settings.target == "ecs"
    check = settings.health_check
    assert (check.interval, check.healthy_threshold, check.deregistration_delay) == (5, 2, 5)
    assert check.stop_timeout == 10
    assert settings.resource_prefix == "shipyard-sample-dev"


def test_an_environment_of_nothing_but_the_engines_defaults_is_valid():
    # The engine sets every key Pulumi.yaml declares, the service stack's too (issue 18).
    config = received("any", {})
    assert config["shipyard:keepImages"] == "30" and config["shipyard:githubRepository"] == ""
    settings = parse_settings("any", config)
    assert isinstance(settings, Settings) and settings.cpu == 256


def test_a_service_stack_of_nothing_but_the_engines_defaults_is_valid():
    config = received("shared", {"shipyard:kind": "service", "shipyard:githubRepository": "a/b"})
    assert config["shipyard:cpu"] == "256"
    assert isinstance(parse_settings("shared", config), ServiceStackSettings)


@pytest.mark.parametrize(
    ("stack_kind", "key", "value"),
    [("environment", "keepImages", 5), ("service", "cpu", 512), ("service", "target", "ec2")],
)
def test_a_key_of_the_other_kind_is_refused_only_where_the_stack_file_changes_it(
    stack_kind, key, value
):
    base = {"shipyard:kind": stack_kind}
    if stack_kind == "service":
        base["shipyard:githubRepository"] = "acme/shop"
    assert parse_settings("s", received("s", base))
    with pytest.raises(SettingsError) as raised:
        parse_settings("s", received("s", {**base, f"shipyard:{key}": value}))
    assert [p.split(": ")[0] for p in raised.value.problems] == [f"shipyard:{key}"]
    assert "does nothing in" in raised.value.problems[0]


# No deadline: the machines are shared, and the first example pays for cold imports.
@hypothesis_settings(deadline=None)
@given(st.sampled_from(sorted(FARGATE_SIZES)), st.integers(min_value=128, max_value=130000))
def test_fargate_pairs_are_accepted_exactly_when_aws_accepts_them(cpu, memory):
    config = received("dev", {"shipyard:cpu": cpu, "shipyard:memory": memory})
    if memory in FARGATE_SIZES[cpu]:
        assert parse_settings("dev", config).memory == memory
    else:
        with pytest.raises(SettingsError, match="shipyard:memory"):
            parse_settings("dev", config)


# No deadline: the machines are shared, and the first example pays for cold imports.
@hypothesis_settings(deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([key.path for key in KEYS] + ["shipyard:bogus"]),
        st.one_of(
            st.text(max_size=12),
            st.integers(-5, 70000).map(str),
            st.sampled_from(
                ["true", "false", "[]", '["A=1"]', "sha256:" + "a" * 64, "10.1.0.0/16"]
            ),
        ),
        max_size=8,
    )
)
def test_any_stack_file_gives_settings_or_one_settings_error(config):
    try:
        settings = parse_settings("any", received("any", config))
    except (ConfigTypeError, SettingsError) as error:
        assert error.problems
        assert all(problem.startswith("shipyard:") for problem in error.problems)
    else:
        assert settings.scaling.min_capacity <= settings.scaling.max_capacity

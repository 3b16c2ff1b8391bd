"""The rollout-time model the benchmark prints, checked on known cases."""

from __future__ import annotations

import pytest

from devtools import pulumi_mocks, rollout_model
from shipyard.config import DeploymentSettings, aws_limits, strategy_checks
from shipyard.program import strategies

from .conftest import evaluated


@pytest.mark.parametrize(
    ("desired", "maximum_percent", "waves"),
    [(1, 200, 1), (3, 200, 1), (4, 150, 2), (10, 110, 10), (3, 100, 3), (0, 200, 1)],
)
def test_ecs_waves(desired, maximum_percent, waves):
    assert rollout_model.ecs_waves(desired, maximum_percent) == waves


def test_prod_rolls_within_task_start_plus_30_seconds_and_defaults_do_not():
    model = rollout_model.ecs_rollout(
        pulumi_mocks.switched("prod", "rolling")
    )
    assert model.overhead() <= 30
    assert model.with_aws_defaults().overhead() == 30 * 5 + 300 + 30
    assert model.total(start=20) == model.waves * 20 + model.overhead()


@pytest.mark.parametrize(
    ("desired", "min_healthy", "max_healthy", "waves"),
    [(2, 100, 200, 1), (4, 90, 100, 4), (10, 50, 100, 2), (3, 100, 150, 3), (1, 0, 100, 1)],
)
def test_instance_refresh_waves(desired, min_healthy, max_healthy, waves):
    assert rollout_model.refresh_waves(desired, min_healthy, max_healthy) == waves


def test_ec2_model_reads_the_refresh_and_the_boot_script():
    model = rollout_model.rollout(evaluated("qa"))
    # qa deploys canary: two waves (50% of the instances, then the rest), five minutes apart.
    assert (model.waves, model.warmup, model.stop_timeout, model.held) == (2, 15, 10, 300)
    assert model.overhead() == 2 * (15 + 5 + 10) + 300
    assert model.with_aws_defaults().overhead() == 2 * (300 + 300 + 30) + 300
    rolling = rollout_model.rollout(
        pulumi_mocks.switched("qa", "rolling")
    )
    assert (rolling.waves, rolling.held, rolling.overhead()) == (1, 0, 15 + 5 + 10)


def test_prods_canary_exposes_its_share_and_rolls_back_in_seconds_not_a_redeploy():
    prod = rollout_model.strategy_times(evaluated("prod"), start=30)
    rolling = rollout_model.strategy_times(
        pulumi_mocks.switched("prod", "rolling"), start=30
    )
    assert (prod.strategy, prod.exposed_percent) == ("canary", 10)
    # Tasks start and pass 2 checks 5 s apart, then ECS moves 10%; the rest 5 minutes later.
    assert prod.first_request == 30 + 5 * 2 + rollout_model.ASSUMED_SHIFT
    assert prod.all_requests == prod.first_request + 5 * 60
    # In the bake, a rollback is a weight change; rolling's is a whole redeploy.
    assert prod.rollback_during_bake == rollout_model.ASSUMED_SHIFT
    assert rolling.rollback_during_bake is None
    assert rolling.rollback_after_bake == rollout_model.ecs_rollout(evaluated("dev")).total(30)
    # The 5xx alarms fire after two one-minute periods.
    assert prod.rollback_by_alarm == 2 * 60 + rollout_model.ASSUMED_SHIFT


@pytest.mark.parametrize(
    ("strategy", "first", "held", "exposed"),
    [("blue_green", 45, 0, 100), ("linear", 45, 3 * 2 * 60, 25)],
)
def test_blue_green_moves_everything_at_once_and_linear_in_steps(strategy, first, held, exposed):
    times = rollout_model.strategy_times(
        pulumi_mocks.switched("prod", strategy), start=30
    )
    assert (times.first_request, times.all_requests - times.first_request) == (first, held)
    assert times.exposed_percent == exposed


def test_the_longest_bake_fits_an_instance_refresh_checkpoint_delay():
    assert aws_limits.BAKE_MINUTES[1] * 60 <= aws_limits.CHECKPOINT_DELAY_SECONDS[1]


@pytest.mark.parametrize(
    ("strategy", "held"),
    [("rolling", 0), ("blue_green", 10), ("canary", 10 + 5), ("linear", 10 + 3 * 2)],
)
def test_a_deployment_holds_its_bakes_and_the_provider_waits_that_plus_a_margin(
    strategy, held
):
    deployment = DeploymentSettings(strategy, 10, 10, 5, 25, 2, 8443, ())
    assert strategies.held_minutes(deployment) == held
    assert strategies.provider_timeout(deployment) == f"{held + 30}m"
    assert strategy_checks.linear_steps(deployment.linear_step_percent) == 4
    assert [strategy_checks.linear_steps(p) for p in (3, 33, 34, 50, 100)] == [34, 4, 3, 2, 1]

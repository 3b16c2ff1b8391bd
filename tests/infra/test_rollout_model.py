"""The rollout-time model the benchmark prints, checked on known cases."""

from __future__ import annotations

import pytest

from devtools import rollout_model

from .conftest import evaluated


@pytest.mark.parametrize(
    ("desired", "maximum_percent", "waves"),
    [(1, 200, 1), (3, 200, 1), (4, 150, 2), (10, 110, 10), (3, 100, 3), (0, 200, 1)],
)
def test_ecs_waves(desired, maximum_percent, waves):
    assert rollout_model.ecs_waves(desired, maximum_percent) == waves


def test_prod_rolls_within_task_start_plus_30_seconds_and_defaults_do_not():
    model = rollout_model.ecs_rollout(evaluated("prod"))
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
    assert (model.waves, model.warmup, model.stop_timeout) == (1, 15, 10)
    assert model.overhead() == 15 + 5 + 10
    assert model.with_aws_defaults().overhead() == 300 + 300 + 30

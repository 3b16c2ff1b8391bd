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

"""`shipyard validate` (the program under mocks, with engine_config) and the real engine
agree on bad stack files: both refuse them, blaming the same key."""

from __future__ import annotations

import pytest
from pulumi import automation as auto

from shipyard.cli import validation

BAD_LINES = [
    "  shipyard:healthCheckPath: health\n",  # the program's settings refuse it
    "  shipyard:target: kubernetes\n",
    "  shipyard:keepImages: 5\n",  # a service stack's key, changed in an environment
    "  shipyard:requestsPerTarget: big\n",  # the engine refuses it before the program
    "  shipyard:memroy: 1024\n",  # a misspelt key
]


@pytest.mark.parametrize("line", BAD_LINES)
def test_validate_and_the_engine_refuse_the_same_bad_stack_file(engine, line):
    path = engine.stack_file("dev")
    path.write_text(path.read_text() + line)
    verdict = validation.check(engine.project, "dev")
    assert verdict.problems, "validate passed a bad stack file"
    blamed = verdict.problems[0].split(": ", 1)[0]
    with pytest.raises(auto.CommandError) as refused:
        engine.stack("dev").preview()
    assert blamed in str(refused.value) or blamed.split(":")[1] in str(refused.value)
    assert "nothing was deployed" in str(refused.value) or "must be of type" in str(
        refused.value
    )

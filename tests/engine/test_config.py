"""What the real engine hands the program, compared with engine_config (what the offline
evaluation, `shipyard validate` and every mocked test use), and the settings loaded from it."""

from __future__ import annotations

import json
import sys

import pytest
from pulumi import automation as auto

from devtools.engine import ROOT, Engine
from shipyard.config.engine_config import ConfigTypeError, engine_config
from shipyard.config.stack_files import secure_keys, stack_values

SHIPPED = ("dev", "staging", "prod", "qa", "shared")
# A stack file with what a hand-written one may hold: numbers in and out of lists, text that
# Go's JSON escapes, a nested map, null, YAML 1.1 spellings, a key without namespace.
EDGE = """config:
  aws:region: us-east-1
  shipyard:environmentVariables: ["A=<b>&c", "ÜBER=ü"]
  shipyard:alarmCpuPercent: 90.0
  shipyard:containerPort: 0x1F90
  shipyard:healthCheckPath: /h?x=1&y=2
  shipyard:domainName:
  shipyard:scaleOnCpu: True
  memory: 1024
  other:map: {b: [1, 2.5, "x"], a: null}
"""


def cli_config(engine: Engine, stack: str) -> dict[str, str]:
    listed = json.loads(engine.run("config", "--json", "--show-secrets", "-s", stack).stdout)
    return {key: entry["value"] for key, entry in listed.items()}


@pytest.mark.parametrize("stack", [*SHIPPED, "edge"])
def test_the_engine_hands_the_program_what_engine_config_builds(engine, stack):
    if stack == "edge":
        engine.stack_file(stack).write_text(EDGE)
    engine.init(stack)
    path = engine.stack_file(stack)
    ours = engine_config(
        stack, stack_values(path, "shipyard"), engine.project, secure_keys(path, "shipyard")
    )
    assert cli_config(engine, stack) == ours


@pytest.mark.parametrize(
    ("line", "key"),
    [("  shipyard:requestsPerTarget: big\n", "requestsPerTarget"),
     ("  shipyard:scaleOnCpu: yes\n", "scaleOnCpu"),
     ("  shipyard:alarmEmails: ops@example.com\n", "alarmEmails"),
     ("  shipyard:containerHealthCheck: [CMD, 1]\n", "containerHealthCheck")],
)  # fmt: skip
def test_a_value_of_the_wrong_type_is_refused_by_the_engine_in_the_words_we_use(
    engine, line, key
):
    path = engine.stack_file("dev")
    path.write_text(path.read_text() + line)
    with pytest.raises(ConfigTypeError) as ours:
        engine_config("dev", stack_values(path, "shipyard"), engine.project)
    (problem,) = ours.value.problems
    engine_words = problem.split(": ", 1)[1].split(";")[0]
    with pytest.raises(auto.CommandError) as refused:
        engine.stack("dev", program=lambda: None).preview()
    assert engine_words.startswith(f"Stack 'dev' with configuration key '{key}' must be")
    assert engine_words in str(refused.value)


@pytest.mark.parametrize("stack", SHIPPED)
def test_each_shipped_stacks_settings_load_from_what_the_engine_hands_over(engine, stack):
    loaded = {}

    def program() -> None:
        sys.path.insert(0, str(ROOT / "infra"))
        from shipyard.config import load_settings

        loaded["settings"] = load_settings()

    result = engine.stack(stack, program=program).preview()
    assert result.change_summary == {"create": 1}  # the stack itself, nothing refused
    assert type(loaded["settings"]).__name__ == (
        "ServiceStackSettings" if stack == "shared" else "Settings"
    )

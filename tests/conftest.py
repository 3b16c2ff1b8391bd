"""Test-session order: the one long test first, so it overlaps with all the others."""

from __future__ import annotations

import pytest

# mypy over the program takes ~30 s cold (pulumi_aws's types): started first on one worker,
# it runs while the other worker goes through the rest.
LONG_FIRST = ("tests/test_project.py::test_program_cli_and_devtools_type_check",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.nodeid not in LONG_FIRST)

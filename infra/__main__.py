"""Pulumi's entry point (Pulumi.yaml `main: infra/`). The program is shipyard.program;
docs/architecture.md says how the package is laid out."""

from shipyard.program.main import run

run()

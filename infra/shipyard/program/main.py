"""The program: load and validate the stack's settings, build the stack, export its outputs.

An environment stack runs the service; the service stack (kind: service) owns what outlives
environments: the image repository and the pipeline's deploy roles.
"""

import pulumi

from shipyard.config import Settings, load_settings
from shipyard.program.service_stack import build_service_stack
from shipyard.program.source import current_revision
from shipyard.program.stack import build_stack


def run() -> None:
    settings = load_settings()
    outputs = (
        build_stack(settings, current_revision())
        if isinstance(settings, Settings)
        else build_service_stack(settings)
    )
    for output_name, value in outputs.items():
        pulumi.export(output_name, value)

"""shipyard: load and validate the stack's settings, build the stack, export its outputs."""

import pulumi

from settings import load_settings
from source import current_revision
from stack import build_stack

settings = load_settings()
for output_name, value in build_stack(settings, current_revision()).items():
    pulumi.export(output_name, value)

"""Where the project is. Standard library only: `shipyard --help` imports it."""

from __future__ import annotations

import os
from pathlib import Path

# This checkout: the program and the stack files that ship with it.
CHECKOUT_DIR = Path(__file__).resolve().parents[3]
# The project the CLI manages: this checkout, or SHIPYARD_PROJECT_DIR.
PROJECT_DIR = Path(os.environ.get("SHIPYARD_PROJECT_DIR", CHECKOUT_DIR))

"""See the package's docstring: 0.1's name for shipyard.program.instance_refresh."""

from shipyard.program.instance_refresh import InstanceRefreshWaitProvider

__all__ = ["InstanceRefreshWaitProvider"]

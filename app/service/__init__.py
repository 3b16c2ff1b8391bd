"""The sample web service that shipyard builds, ships and runs."""

"""The shipyard operator CLI: preview, deploy, releases, rollback, promote, status, logs."""

"""shipyard Pulumi program."""

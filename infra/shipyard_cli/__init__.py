"""A name kept for stack state written before the package was laid out (shipyard 0.1).

Pulumi's dynamic provider host unpickles a resource's provider by the module name recorded
in its state, and states written by 0.1 name `shipyard_cli.refresh_wait`. Every `pulumi up`
records the new name (shipyard.program.instance_refresh), so this can go once every stack
has run one; tests/engine/test_upgrade.py destroys a 0.1 stack through it.
"""

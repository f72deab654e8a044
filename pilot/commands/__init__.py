"""The ``pilot`` command's sub-commands, one module each."""

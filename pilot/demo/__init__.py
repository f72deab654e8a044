"""``pilot demo``: the scripted scenario over the whole 6 + 3 network, with fault cases and a summary."""

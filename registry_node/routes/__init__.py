"""The registry's routes: ``status`` (status list credentials) and ``trust`` (the trust list held)."""

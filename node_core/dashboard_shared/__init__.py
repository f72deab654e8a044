"""Browser files every node's dashboard uses, served at ``/dashboard/shared/<name>`` (``node_core.dashboard``)."""

__all__: list[str] = []

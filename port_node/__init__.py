"""The port-authority node: intake, verification, signed receipts and the port's transparency log.

``port_node.app.create_app(settings)`` builds the FastAPI service of docs/design.md §6; ``pilot node port``
runs it. Everything that decides a submission lives in ``schemas`` (``assess_submission``); this package
adds what is not pure: request authentication, storage, the Merkle log and the signed receipt.
"""

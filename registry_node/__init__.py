"""The registry node, run by ``pilot-gov``: the trust list, issuers' status list credentials, the JSON-LD contexts.

``registry_node.app.create_app(settings)`` builds the JSON API of docs/design.md §6 ("Registry") and §12;
``pilot node registry --id registry`` runs it. It keeps every version of every issuer's Bitstring Status
List credential it was given, each exactly as received, takes a new version only from the list's issuer
(an RFC 9421-signed request, a credential that verifies as that issuer's list at that URL, a higher
``sequence``), and serves the current one with an ``ETag`` and a ``Cache-Control`` that ports cache by.
Everything that verifies a list lives in ``schemas.status_list``; this package adds storage and HTTP.
"""

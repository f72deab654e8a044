"""Each node_core module exports exactly the names it means to, and each of them exists."""

from __future__ import annotations

import importlib

import pytest

MODULES = {
    "node_core.app": {"Health", "create_base_app"},
    "node_core.auth": {"TOKEN_BYTES", "ensure_token", "operator_auth", "read_token", "token_path"},
    "node_core.body": {
        "JSON_MEDIA_TYPE",
        "RequestBodyMiddleware",
        "parse_json_body",
        "read_limited_body",
        "require_json_media_type",
    },
    "node_core.database": {
        "SQLITE_BUSY_TIMEOUT_MS",
        "WriteLock",
        "configure_alembic_context",
        "database_kind",
        "make_engine",
        "run_migrations",
        "session_scope",
    },
    "node_core.http_signatures": {
        "ALGORITHM",
        "COVERED_WITHOUT_BODY",
        "COVERED_WITH_BODY",
        "LABEL",
        "MIN_NONCE_BITS",
        "ReplayError",
        "RequestSignatureError",
        "RequestSigner",
        "ResolvedRequestKey",
        "SignedHeaders",
        "VerifiedRequest",
        "declares_body",
        "new_nonce",
        "sign_request",
        "target_uri",
        "target_uri_from_scope",
        "verify_request",
        "verify_request_body",
        "verify_request_headers",
    },
    "node_core.inflight": {"DEFAULT_EXEMPT_PATHS", "InflightLimitMiddleware"},
    "node_core.logging": {"JsonLinesFormatter", "configure_logging"},
    "node_core.metrics": {
        "KNOWN_METHODS",
        "OTHER",
        "UNMATCHED_ROUTE",
        "Metrics",
        "MetricsMiddleware",
        "method_label",
        "metrics_endpoint",
        "status_label",
    },
    "node_core.migrations_shared": {
        "SEEN_NONCE",
        "TRUST_STATE",
        "create_shared_tables",
        "drop_shared_tables",
    },
    "node_core.network": {
        "NetworkFileError",
        "PeerDirectory",
        "UnknownPeerError",
        "load_peer_urls",
        "read_network_file",
    },
    "node_core.nonces": {"DEFAULT_NONCE_TTL_S", "MemoryNonceStore", "NonceStore", "SqlNonceStore"},
    "node_core.origins": {"default_origins", "normalize_origin", "origin_of", "parse_origins"},
    "node_core.problems": {
        "INTERNAL_ERROR",
        "PROBLEM_MEDIA_TYPE",
        "PROBLEM_TYPE_BASE",
        "ProblemDetails",
        "ProblemError",
        "ProblemGuardMiddleware",
        "ProblemResponse",
        "install_problem_handlers",
        "problem_body",
        "problem_response",
        "problem_responses",
    },
    "node_core.request_context": {
        "CLIENT_CLOSED_REQUEST",
        "REQUEST_ID_HEADER",
        "RequestContextMiddleware",
        "answered_status",
        "current_request_id",
        "mark_client_disconnected",
        "new_request_id",
    },
    "node_core.serving": {"FRAMING_DETAIL", "ProblemH11Protocol", "serve"},
    "node_core.settings": {"SHORT_ID_PATTERN", "NodeSettings", "parse_peer_urls"},
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_exports(name: str) -> None:
    module = importlib.import_module(name)
    assert set(module.__all__) == MODULES[name]
    for export in module.__all__:
        assert hasattr(module, export), export
    assert module.__doc__ and module.__doc__.strip()

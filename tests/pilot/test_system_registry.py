"""Systems own their request: one function builds configs for the CLI and the page, the kind's
facts live with its class, and connection settings never show their key."""

from __future__ import annotations

import json

import pytest

from pilot.cli.run_cmds import resolve_config
from pilot.core.models import RetrievalSettings, Source, SystemConfig, SystemRequest
from pilot.runs.systems import registry
from pilot.runs.systems.anthropic import DEFAULT_MODEL, AnthropicSystem, request_payload
from pilot.runs.systems.base import PermanentError
from pilot.runs.systems.connection import Connection

SECRET = "sk-ant-secret-do-not-show-1234"


def test_connection_hides_its_key_everywhere() -> None:
    connection = Connection(api_key=SECRET, base_url="http://127.0.0.1:9")
    shown = [repr(connection), str(connection), connection.model_dump_json(), f"{connection}"]
    assert all(SECRET not in text for text in shown)
    assert "**********" in connection.model_dump_json()
    assert connection.key() == SECRET and connection.has_key
    system = AnthropicSystem(SystemConfig(kind="anthropic"), connection)
    assert SECRET not in repr(system)


def test_connection_from_env_and_secrets() -> None:
    env = {"ANTHROPIC_API_KEY": "k-env", "ANTHROPIC_BASE_URL": "http://x"}
    assert Connection.from_env(env).key() == "k-env"
    assert Connection.from_env(env).base_url == "http://x"
    from_secrets = Connection.from_env({}, {"ANTHROPIC_API_KEY": "k-secret"})
    assert from_secrets.key() == "k-secret" and from_secrets.base_url is None


def test_cli_builds_configs_through_the_registry() -> None:
    retrieval = RetrievalSettings(top_k=2)
    assert resolve_config("anthropic", None, None, None, 2, None) == registry.build_config(
        "anthropic", retrieval=retrieval
    )
    assert resolve_config("anthropic", None, None, None, 2, None).model == DEFAULT_MODEL
    assert registry.default_model("anthropic") == DEFAULT_MODEL
    made = resolve_config("mymod:answer", None, None, None, None, None)
    assert (made.kind, made.target, made.model) == ("callable", "mymod:answer", "mymod:answer")
    assert resolve_config("offline", "ignored", None, None, None, None) == SystemConfig()


def test_each_kind_owns_its_payload_and_facts() -> None:
    request = SystemRequest(case_id="c", question="q?", sources=(Source(id="s", text="t."),))
    claude = registry.build_config("anthropic")
    assert registry.payload_for(claude, request) == request_payload(claude, request)
    assert registry.payload_for(SystemConfig(), request) == request.model_dump(mode="json")
    assert registry.supports_batch(claude) and not registry.supports_batch(SystemConfig())
    assert registry.needs_key("anthropic") and not registry.needs_key("offline")
    assert set(registry.KINDS) == {"offline", "anthropic", "callable"}
    with pytest.raises(PermanentError, match="Unknown system kind"):
        registry.system_class("nope")


def test_manifest_and_audit_never_carry_the_key() -> None:
    """A Connection is not part of a config: configs (which are stored) have no key field."""
    assert "api_key" not in SystemConfig.model_fields
    dumped = json.dumps(Connection(api_key=SECRET).model_dump(mode="json"))
    assert SECRET not in dumped

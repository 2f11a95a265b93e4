"""Connection settings for a hosted system under test (and the LLM judge): the API key and the
base URL. Never logged or stored: the key is a `SecretStr`, so `repr`, `str` and a JSON dump show
`**********`, and nothing in `pilot` writes a `Connection` to the database or the audit log."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

from pilot.core.models import Frozen

KEY_VARIABLE = "ANTHROPIC_API_KEY"
BASE_URL_VARIABLE = "ANTHROPIC_BASE_URL"


class Connection(Frozen):
    api_key: SecretStr | None = None
    base_url: str | None = None
    timeout: float = 60.0

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, secrets: Mapping[str, Any] | None = None
    ) -> Connection:
        """The key from the environment, else from `secrets` (Streamlit's); the base URL from
        the environment (the SDK reads it there too)."""
        env = os.environ if environ is None else environ
        key = env.get(KEY_VARIABLE) or (secrets or {}).get(KEY_VARIABLE) or None
        return cls(api_key=SecretStr(key) if key else None, base_url=env.get(BASE_URL_VARIABLE))

    def key(self) -> str | None:
        """The key itself (for the SDK client only); falls back to the environment."""
        if self.api_key is not None:
            return self.api_key.get_secret_value()
        return os.environ.get(KEY_VARIABLE) or None

    @property
    def has_key(self) -> bool:
        return self.key() is not None

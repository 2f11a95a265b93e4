"""Claude through the Messages API, with the API's own citations.

Each source goes as a plain-text document block with citations enabled, then the question. The
API answers in text blocks; blocks that rest on a document carry `char_location` citations.

Claims. The answer is the text blocks joined. It is split into sentences with the offline
system's splitter, and each sentence is one claim, so citation coverage means the same for every
system. A cited block's citations go to every claim its text overlaps (a block spanning two
sentences supports both); a block that overlaps no claim (only punctuation) gives its citations
to the nearest claim before it. Uncited sentences stay as claims without citations.

Offsets. The API's `start_char_index`/`end_char_index` are kept when
`source.text[start:end] == cited_text`. When they are not (the API may count characters
differently from Python, e.g. in UTF-16 units), the citation is re-anchored to the occurrence of
`cited_text` in that source nearest the stated start; if the text does not occur at all, the
citation is kept as returned and so counts as invalid.

Abstention. The system prompt asks for exactly `INSUFFICIENT_EVIDENCE` when the documents do not
answer; that token anywhere in the reply (case-insensitive) marks an abstention, which carries
no claims or citations.

`SystemConfig.temperature` is not sent: the Messages API of anthropic SDK 2.x takes no sampling
parameters.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from typing import TYPE_CHECKING, Any

from pilot.core.models import (
    Citation,
    RetrievalSettings,
    Source,
    SystemConfig,
    SystemOutput,
    SystemRequest,
)
from pilot.runs.systems.base import PermanentError, TransientError
from pilot.runs.systems.connection import Connection
from pilot.runs.systems.offline import OFFLINE_MODEL, split_sentences

if TYPE_CHECKING:  # the SDK is imported only when a call is made: it costs ~0.9 s
    import anthropic

DEFAULT_MODEL = "claude-sonnet-4-6"
ABSTAIN_TOKEN = "INSUFFICIENT_EVIDENCE"
ABSTAIN_INSTRUCTION = (
    f"If the documents do not contain the answer, reply with exactly {ABSTAIN_TOKEN} "
    "and nothing else."
)
DEFAULT_SYSTEM_PROMPT = (
    "You answer questions using only the documents provided. Answer briefly and cite the "
    "passages that support each statement. Do not use outside knowledge and do not guess. "
    + ABSTAIN_INSTRUCTION
)

# Estimated list prices in USD per million tokens (input, output) by model family, as published
# when this was written. Cache writes cost 1.25x input, cache reads 0.1x. An unknown family costs
# 0.0, which means "unknown", not "free".
PRICES_PER_MTOK: dict[str, tuple[float, float]] = {
    "opus": (5.0, 25.0),
    "sonnet": (3.0, 15.0),
    "haiku": (1.0, 5.0),
}

_TRANSIENT_STATUSES = frozenset({408, 409, 429, 529})


def resolve_model(config: SystemConfig) -> str:
    """The model to ask for: `config.model`, unless it is left at the offline default."""
    if not config.model or config.model == OFFLINE_MODEL:
        return DEFAULT_MODEL
    return config.model


def system_prompt(config: SystemConfig) -> str:
    """`config.prompt_template` (or the default), always with the abstention instruction."""
    prompt = config.prompt_template.strip() or DEFAULT_SYSTEM_PROMPT
    if ABSTAIN_TOKEN not in prompt:
        prompt = f"{prompt}\n\n{ABSTAIN_INSTRUCTION}"
    return prompt


def sent_sources(request: SystemRequest) -> list[Source]:
    """The sources that go as documents, in order: empty texts are left out (the API rejects
    empty documents), so a response's `document_index` indexes this list."""
    return [source for source in request.sources if source.text.strip()]


def request_payload(config: SystemConfig, request: SystemRequest) -> dict[str, Any]:
    """Exactly the JSON body sent to `POST /v1/messages`, so a runner can hash it for a cache.

    Allowlisted `request.fields` follow the question as `name: value` lines, sorted by name.
    """
    documents: list[dict[str, Any]] = [
        {
            "type": "document",
            "source": {"type": "text", "media_type": "text/plain", "data": source.text},
            "title": source.title or f"Source {number}",
            "citations": {"enabled": True},
        }
        for number, source in enumerate(sent_sources(request), start=1)
    ]
    question = request.question
    if request.fields:
        lines = "\n".join(f"{name}: {request.fields[name]}" for name in sorted(request.fields))
        question = f"{question}\n\n{lines}"
    return {
        "model": resolve_model(config),
        "max_tokens": config.max_tokens,
        "system": system_prompt(config),
        "messages": [{"role": "user", "content": [*documents, {"type": "text", "text": question}]}],
    }


def estimate_cost(model: str, usage: Any) -> float:
    """Estimated USD cost of one call from its `usage`; 0.0 for a model family not priced."""
    family = next((name for name in PRICES_PER_MTOK if name in model), None)
    if family is None:
        return 0.0
    price_in, price_out = PRICES_PER_MTOK[family]
    cache_write = getattr(usage, "cache_creation_input_tokens", None) or 0
    cache_read = getattr(usage, "cache_read_input_tokens", None) or 0
    tokens_in = usage.input_tokens + 1.25 * cache_write + 0.1 * cache_read
    return round((tokens_in * price_in + usage.output_tokens * price_out) / 1_000_000, 8)


def retry_after_seconds(headers: Any) -> float | None:
    """Seconds to wait from `retry-after-ms`, `retry-after` (seconds or an HTTP date), if any."""
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) * scale)
        except ValueError:
            parsed = email.utils.parsedate_tz(value)
            if parsed is not None:
                return max(0.0, email.utils.mktime_tz(parsed) - time.time())
    return None


def translate_error(error: anthropic.AnthropicError, secret: str | None = None) -> Exception:
    """The `TransientError` or `PermanentError` for an SDK error; the message never holds
    `secret` (the API key), and the SDK error (whose request holds it) is not chained."""
    import anthropic

    if isinstance(error, anthropic.APITimeoutError):
        return TransientError("Anthropic API request timed out")
    if isinstance(error, anthropic.APIConnectionError):
        return TransientError("could not connect to the Anthropic API")
    if isinstance(error, anthropic.APIStatusError):
        status = error.status_code
        should_retry = error.response.headers.get("x-should-retry")
        transient = status in _TRANSIENT_STATUSES or status >= 500
        if should_retry in ("true", "false"):
            transient = should_retry == "true"
        detail = (
            f"Anthropic API error {status} {error.type or 'unknown'}: {error.api_message or ''}"
        )
        detail = _redact(detail.strip().rstrip(":"), secret)
        if transient:
            return TransientError(
                detail, status=status, retry_after=retry_after_seconds(error.response.headers)
            )
        return PermanentError(detail)
    return PermanentError(_redact(f"Anthropic API call failed: {type(error).__name__}", secret))


def _redact(text: str, secret: str | None) -> str:
    return text.replace(secret, "[redacted]") if secret else text


class AnthropicSystem:
    """A `System` answering with Claude and the API's citations. Retries are the runner's job,
    so the SDK client has `max_retries=0`. The SDK client is created per event loop, on first
    use. The API key comes from `api_key` or `ANTHROPIC_API_KEY` and is never logged or shown."""

    KIND = "anthropic"
    LABEL = "anthropic: Claude through the Messages API (needs ANTHROPIC_API_KEY)"
    TITLE = "Claude"
    DEFAULT_MODEL = DEFAULT_MODEL
    NEEDS_KEY = True
    SUPPORTS_BATCH = True
    FIELDS = ("model", "prompt")
    SDK_MODULES = ("anthropic",)  # imported at the first call; a run may preload it

    def __init__(self, config: SystemConfig, connection: Connection | None = None) -> None:
        connection = connection or Connection()
        key = connection.key()
        if not key:
            raise PermanentError(
                "No Anthropic API key: set ANTHROPIC_API_KEY or pass a Connection with api_key."
            )
        self.config = config
        self.model = resolve_model(config)
        self.base_url = connection.base_url
        self.timeout = connection.timeout
        self._key = key
        self._client: anthropic.AsyncAnthropic | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"AnthropicSystem(model={self.model!r}, base_url={self.base_url!r})"

    @classmethod
    def build_config(
        cls, *, model: str | None, target: str | None, prompt: str, retrieval: RetrievalSettings
    ) -> SystemConfig:
        return SystemConfig(
            kind="anthropic",
            model=model or DEFAULT_MODEL,
            prompt_template=prompt,
            retrieval=retrieval,
        )

    @staticmethod
    def payload(config: SystemConfig, request: SystemRequest) -> dict[str, Any]:
        return request_payload(config, request)

    @classmethod
    def create(cls, config: SystemConfig, connection: Connection) -> AnthropicSystem:
        return cls(config, connection)

    def request_payload(self, request: SystemRequest) -> dict[str, Any]:
        return request_payload(self.config, request)

    def client(self) -> anthropic.AsyncAnthropic:
        import anthropic

        """The SDK client for the running event loop (an HTTP pool cannot cross loops)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = anthropic.AsyncAnthropic(
                api_key=self._key, base_url=self.base_url, timeout=self.timeout, max_retries=0
            )
            self._loop = loop
        return self._client

    async def aclose(self) -> None:
        if self._client is not None and self._loop is asyncio.get_running_loop():
            await self._client.close()
        self._client = None

    async def answer(self, request: SystemRequest) -> SystemOutput:
        import anthropic

        payload = self.request_payload(request)
        failure: Exception | None = None
        try:
            message = await self.client().messages.create(**payload)
        except anthropic.AnthropicError as error:
            failure = translate_error(error, self._key)
        if failure is not None:
            raise failure  # raised outside `except`, so the SDK error is not its context
        try:
            return parse_message(message, sent_sources(request))
        except (AttributeError, TypeError, ValueError) as error:
            failure = PermanentError(f"Malformed Anthropic response: {type(error).__name__}")
        raise failure


def parse_message(message: Any, sources: list[Source]) -> SystemOutput:
    """A `SystemOutput` from an SDK `Message`; `sources` are the documents sent, in order."""
    pieces: list[tuple[int, int, list[Any]]] = []
    text = ""
    for block in message.content:
        if getattr(block, "type", None) != "text":
            continue
        start = len(text)
        text += block.text
        pieces.append((start, len(text), list(block.citations or [])))
    usage = message.usage
    record = {
        "model": message.model,
        "stop_reason": message.stop_reason,
        "input_tokens": usage.input_tokens
        + (getattr(usage, "cache_creation_input_tokens", None) or 0)
        + (getattr(usage, "cache_read_input_tokens", None) or 0),
        "output_tokens": usage.output_tokens,
        "cost_usd": estimate_cost(message.model, usage),
    }
    if ABSTAIN_TOKEN in text.upper():
        return SystemOutput(answer=text.strip(), abstained=True, **record)
    spans = split_sentences(text)
    citations: list[Citation] = []
    for start, end, block_citations in pieces:
        located = [c for c in block_citations if getattr(c, "type", None) == "char_location"]
        if not located or not spans:
            continue
        claims = [i for i, (a, b) in enumerate(spans) if a < end and start < b]
        if not claims:
            claims = [max((i for i, (a, _) in enumerate(spans) if a <= start), default=0)]
        found = [_citation(cited, sources) for cited in located]
        citations.extend(c.model_copy(update={"claim": i}) for i in claims for c in found)
    return SystemOutput(
        answer=text.strip(),
        claims=tuple(text[a:b] for a, b in spans),
        citations=tuple(citations),
        **record,
    )


def _citation(cited: Any, sources: list[Source]) -> Citation:
    index = cited.document_index
    if not 0 <= index < len(sources):
        raise PermanentError(
            f"Malformed Anthropic response: a citation names document {index}, "
            f"but {len(sources)} documents were sent."
        )
    source = sources[index]
    start, end = _anchor(source.text, cited.cited_text, cited.start_char_index)
    if start is None:
        start, end = cited.start_char_index, cited.end_char_index
    return Citation(source_id=source.id, cited_text=cited.cited_text, start=start, end=end)


def _anchor(text: str, cited: str, start: int) -> tuple[int | None, int | None]:
    """Where `cited` occurs in `text`: at `start` if it does, else its occurrence nearest it."""
    if not cited:
        return None, None
    if start >= 0 and text[start : start + len(cited)] == cited:
        return start, start + len(cited)
    best: int | None = None
    found = text.find(cited)
    while found != -1:
        if best is None or abs(found - start) < abs(best - start):
            best = found
        found = text.find(cited, found + 1)
    return (best, best + len(cited)) if best is not None else (None, None)

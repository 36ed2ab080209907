"""A fake OpenAI + Anthropic HTTP server for tests and demos; the real SDK clients work against it unchanged.

    with FakeProviderServer() as server:
        server.enqueue(Reply(text="Hi", usage=TokenUsage(input_tokens=12)), provider="openai")
        client = openai.OpenAI(base_url=server.openai_base_url, api_key="test", max_retries=0)
        ...
        assert server.last_request.body["model"] == "gpt-4o-mini"

Un-scripted requests get :data:`DEFAULT_TEXT` with the token counts described in ``tokens``, subject to the
server's :class:`Behaviour` (seeded error rates and latency, adjustable at ``POST /_admin/behaviour``).
"""

from agent_telemetry.tooling.fake_provider.behaviour import Behaviour, Decision
from agent_telemetry.tooling.fake_provider.request_log import REDACTED, RecordedRequest
from agent_telemetry.tooling.fake_provider.script import (
    DEFAULT_TEXT,
    ComputerAction,
    ErrorSpec,
    Provider,
    Reply,
    SafetyCheck,
    TokenUsage,
    ToolCall,
)
from agent_telemetry.tooling.fake_provider.server import FakeProviderServer
from agent_telemetry.tooling.fake_provider.tokens import INPUT_OVERHEAD_TOKENS, TOKENS_PER_CALL, input_tokens

__all__ = [
    "DEFAULT_TEXT",
    "INPUT_OVERHEAD_TOKENS",
    "REDACTED",
    "TOKENS_PER_CALL",
    "Behaviour",
    "ComputerAction",
    "Decision",
    "ErrorSpec",
    "FakeProviderServer",
    "Provider",
    "RecordedRequest",
    "Reply",
    "SafetyCheck",
    "TokenUsage",
    "ToolCall",
    "input_tokens",
]

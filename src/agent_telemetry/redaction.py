"""What of a failed call's error may leave the process, and how secrets are taken out of error text.

Providers echo prompts ("Invalid prompt: ...") and keys ("Incorrect API key provided: sk-...") in their
error bodies. Without content capture nothing of that text is exported: only the exception's type and
the structured facts (``errors.facts``). With content capture the text is kept, with anything that
looks like an API key or a bearer token replaced by ``[REDACTED]``.
"""

from __future__ import annotations

import re
import traceback

from opentelemetry.util.types import AttributeValue

from agent_telemetry.contract import SpanAttr

REDACTED = "[REDACTED]"

_SECRETS = re.compile(
    r"""
      \bsk-[A-Za-z0-9_\-*]{3,}                                 # OpenAI / Anthropic keys (sk-..., sk-ant-...)
    | (?<=\bbearer\s)\s*[A-Za-z0-9_\-.~+/=*]+                 # Authorization: Bearer <token>
    | (?<=api[_-]key=)[^\s&"',;]+                             # api_key=... in a URL or message
    | (?<=api[_-]key":\s")[^"]+ | (?<=api[_-]key':\s')[^']+   # "api_key": "..." in echoed JSON
    """,
    re.IGNORECASE | re.VERBOSE,
)


def redact(text: str) -> str:
    """``text`` with API keys and bearer tokens replaced by ``[REDACTED]``."""
    return _SECRETS.sub(REDACTED, text)


def exception_attributes(error: BaseException, *, capture_content: bool) -> dict[str, AttributeValue]:
    """The attributes of a span's ``exception`` event: the type always, message and stack trace
    (redacted) only with content capture on."""
    attributes: dict[str, AttributeValue] = {SpanAttr.EXCEPTION_TYPE: type(error).__qualname__}
    if capture_content:
        attributes[SpanAttr.EXCEPTION_MESSAGE] = redact(str(error))
        attributes[SpanAttr.EXCEPTION_STACKTRACE] = redact(
            "".join(traceback.format_exception(type(error), error, error.__traceback__))
        )
    return attributes


def error_text(error: BaseException, *, capture_content: bool) -> str:
    """An error for a session recording: its class name, and its redacted message with capture on."""
    name = type(error).__name__
    return f"{name}: {redact(str(error))}" if capture_content else name

"""What content may leave the process, and how secrets are taken out of it.

Providers echo prompts ("Invalid prompt: ...") and keys ("Incorrect API key provided: sk-...") in their
error bodies. Without content capture nothing of that text is exported: only the exception's type and
the structured facts (``errors.facts``). With content capture (message content on spans, full
trajectories in session recordings, error text) every string passes through ``redact``:

1. the built-in patterns: OpenAI and Anthropic keys, bearer tokens, ``api_key=...``, AWS access keys;
2. the application's own patterns (``AGENT_TELEMETRY_REDACT_PATTERNS``, ``Settings.redact_patterns``);
3. the application's own function, if it set one with ``agent_telemetry.set_redactor(fn)``.

Each match becomes ``[REDACTED]``. A redactor function that raises (or returns something that is not
a string) never reaches the application, and never lets the unredacted text through: the whole text
becomes ``[REDACTED]``.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from opentelemetry.util.types import AttributeValue

from agent_telemetry.contract import SpanAttr

REDACTED = "[REDACTED]"

logger = logging.getLogger("agent_telemetry")

_SECRETS = re.compile(
    r"""
      \bsk-[A-Za-z0-9_\-*]{3,}                                 # OpenAI / Anthropic keys (sk-..., sk-ant-...)
    | (?<=\bbearer\s)\s*[A-Za-z0-9_\-.~+/=*]+                 # Authorization: Bearer <token>
    | (?<=api[_-]key=)[^\s&"',;]+                             # api_key=... in a URL or message
    | (?<=api[_-]key":\s")[^"]+ | (?<=api[_-]key':\s')[^']+   # "api_key": "..." in echoed JSON
    | \b(?:AKIA|ASIA)[0-9A-Z]{16}\b                           # AWS access key ids
    | (?<=aws_secret_access_key=)[^\s&"',;]+                  # ... and their secret keys
    | (?<=aws_secret_access_key":\s")[^"]+
    """,
    re.IGNORECASE | re.VERBOSE,
)

Redactor = Callable[[str], str]

_patterns: tuple[re.Pattern[str], ...] = ()
_hook: Redactor | None = None
_lock = threading.Lock()
_warned: set[str] = set()


def set_redactor(redactor: Redactor | None) -> None:
    """Pass all captured content through ``redactor(text) -> text`` as well (after our patterns);
    ``None`` removes it. Content is captured only with OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT.
    """
    global _hook
    if redactor is not None and not callable(redactor):
        raise TypeError(f"set_redactor needs a function from str to str, got {type(redactor).__name__}")
    _hook = redactor


def use_patterns(patterns: Iterable[str]) -> None:
    """Redact matches of ``patterns`` too, from now on (the settings' ``redact_patterns``).

    ``Settings.from_env`` has already left out (and warned about) invalid ones from the environment;
    a pattern given in code that does not compile is one warning line, and ignored.
    """
    global _patterns
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern))
        except re.error as exc:
            _warn_once(f"redact pattern {pattern!r} is not a valid regular expression ({exc}); ignored")
    _patterns = tuple(compiled)


def redact(text: str) -> str:
    """``text`` with API keys, bearer tokens and the application's patterns replaced by ``[REDACTED]``."""
    text = _SECRETS.sub(REDACTED, text)
    for pattern in _patterns:
        text = pattern.sub(REDACTED, text)
    hook = _hook
    if hook is None:
        return text
    try:
        redacted = hook(text)
    except Exception as exc:
        _warn_once(f"the redactor set with set_redactor() raised {type(exc).__name__}")
        return REDACTED
    if not isinstance(redacted, str):
        _warn_once(f"the redactor set with set_redactor() returned {type(redacted).__name__}, not a str")
        return REDACTED
    return redacted


def redact_content(value: Any) -> Any:
    """Content as plain JSON-able data for telemetry: SDK models dumped, every image part replaced by
    its type and size (never its pixels), and every string redacted."""
    return _redact_strings(redact_images(plain(value)))


def _redact_strings(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {
            key: item if key in _STRUCTURE and isinstance(item, str) else _redact_strings(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_redact_strings(item) for item in value]
    return value


# What a message's parts are, never what they say: kept, so a redacted conversation keeps its shape.
_STRUCTURE = frozenset({"role", "type"})


# -- images --------------------------------------------------------------------------------------
# Part types that carry an image, in the openai (chat, responses) and anthropic request/response shapes.
IMAGE_TYPES = frozenset({"image", "image_url", "input_image", "computer_screenshot", "output_image"})


def redact_images(value: Any) -> Any:
    """A copy of ``value`` with each image part replaced by ``{"type": ..., "bytes": n}``."""
    if isinstance(value, Mapping):
        kind = value.get("type")
        if kind in IMAGE_TYPES:
            return _image_placeholder(value)
        return {key: redact_images(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_images(item) for item in value]
    return value


def image_bytes(part: Mapping[str, Any]) -> int | None:
    """The decoded size of an inline (base64 or data URL) image, or None for an image by URL."""
    data = inline_image_data(part)
    if data is None:
        return None
    padding = len(data) - len(data.rstrip("="))
    return len(data) * 3 // 4 - padding


def _image_placeholder(part: Mapping[str, Any]) -> dict[str, Any]:
    placeholder: dict[str, Any] = {"type": part.get("type")}
    size = image_bytes(part)
    if size is not None:
        placeholder["bytes"] = size
    return placeholder


def inline_image_data(part: Mapping[str, Any]) -> str | None:
    """The base64 data of an inline image part (anthropic source, openai data URL), or None."""
    source = part.get("source")
    if isinstance(source, Mapping) and source.get("type") == "base64":
        data = source.get("data")
        return data if isinstance(data, str) else None
    for key in ("image_url", "url"):
        url = part.get(key)
        if isinstance(url, Mapping):
            url = url.get("url")
        if isinstance(url, str) and url.startswith("data:") and "," in url:
            return url.split(",", 1)[1]
    return None


def image_media_type(part: Mapping[str, Any]) -> str | None:
    """The media type an inline image part declares (anthropic source, openai data URL), or None."""
    source = part.get("source")
    if isinstance(source, Mapping) and isinstance(source.get("media_type"), str):
        return source["media_type"]
    for key in ("image_url", "url"):
        url = part.get(key)
        if isinstance(url, Mapping):
            url = url.get("url")
        if isinstance(url, str) and url.startswith("data:"):
            return url[len("data:") :].split(";", 1)[0].split(",", 1)[0] or None
    return None


def plain(value: Any) -> Any:
    """SDK models (pydantic), mappings and sequences as plain JSON-able data; anything else as is."""
    dump = getattr(value, "model_dump", None)
    if callable(dump) and not isinstance(value, type):
        try:
            return dump(mode="json", exclude_none=True)
        except Exception:
            return str(value)
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    try:
        return str(value)
    except Exception:  # an application object whose __str__ fails: its type is all we can say
        return f"<{type(value).__name__}>"


# -- errors --------------------------------------------------------------------------------------
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


def _warn_once(message: str) -> None:
    with _lock:
        if message in _warned:
            return
        _warned.add(message)
    logger.warning("agent-telemetry: %s", message)

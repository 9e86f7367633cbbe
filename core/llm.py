"""A small client for an operator's OpenAI-compatible chat-completions endpoint.

One call, ``chat_completion``: POST ``{base}/chat/completions`` with the model, a system and a
user message and temperature 0, an optional bearer key, a timeout and a cap on the bytes
read. What it sends and when is the caller's decision (the callers check consent and
configuration first); this module only talks to the endpoint and says clearly when that did
not work. The standard library's ``urllib`` keeps it free of a dependency and honours the
usual proxy variables.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.request

# Bytes read from the answer per step; the deadline is checked between steps.
_READ_STEP = 64 * 1024


class LLMError(Exception):
    """The endpoint gave no usable answer; ``reason`` names what went wrong, for the logs."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class LLMUnavailableError(LLMError):
    """The endpoint could not be reached, refused, failed (HTTP error) or timed out."""


class LLMResponseError(LLMError):
    """The endpoint answered, but not with a chat completion of at most the allowed size."""


def _read(response, *, max_bytes: int, deadline: float) -> bytes:  # noqa: ANN001
    """At most ``max_bytes`` of the body, or a named error when it is longer or too slow."""
    parts: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise LLMUnavailableError("the answer took longer than the timeout", reason="Timeout")
        part = response.read(min(_READ_STEP, max_bytes + 1 - size))
        if not part:
            return b"".join(parts)
        parts.append(part)
        size += len(part)
        if size > max_bytes:
            raise LLMResponseError(
                f"the answer is longer than {max_bytes} bytes", reason="ResponseTooLarge"
            )


def chat_completion(
    *,
    base_url: str,
    model: str,
    system: str,
    user: str,
    api_key: str = "",
    timeout: float,
    max_bytes: int,
) -> str:
    """The text of one chat completion (temperature 0) from the endpoint at ``base_url``.

    ``timeout`` bounds each wait on the network and the reading of the whole answer; an
    answer longer than ``max_bytes`` is refused unread. Raises ``LLMUnavailableError`` when
    the endpoint cannot be reached, answers an HTTP error or times out, and
    ``LLMResponseError`` when what it answers is not a chat completion.
    """
    url = base_url.rstrip("/") + "/chat/completions"
    body = json.dumps(
        {
            "model": model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ],
        }
    ).encode()
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    deadline = time.monotonic() + timeout
    try:
        with urllib.request.urlopen(  # noqa: S310 - the operator's own configured URL
            request, timeout=timeout
        ) as response:
            raw = _read(response, max_bytes=max_bytes, deadline=deadline)
    except LLMError:
        raise
    except (OSError, ValueError, http.client.HTTPException) as error:
        # URLError, HTTPError, socket timeouts and refusals are OSErrors; a malformed URL
        # raises ValueError, a broken HTTP answer http.client's HTTPException.
        raise LLMUnavailableError(str(error), reason=type(error).__name__) from error
    try:
        payload = json.loads(raw)
        return str(payload["choices"][0]["message"]["content"])
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise LLMResponseError(
            "the answer is not a chat completion", reason=type(error).__name__
        ) from error

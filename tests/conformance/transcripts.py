"""Wire transcripts of gateways and OpenAI-compatible servers, with the class each must get.

Written from the servers' public documentation (facts, not code): LiteLLM's error
reference and exception mapping (an OpenAI-shaped `{"error": {...}}` whose `code` is
the status as a string, the upstream headers passed on with an `llm_provider-`
prefix; its Anthropic route answers in Anthropic's envelope), OpenRouter's errors page
(`{"error": {"code": <number>, "message", "metadata"}}`, the status equal to the code,
402 for credits, 408, 502 for a model that is down, 503 for no provider, errors after
HTTP 200 as an SSE data event, `: OPENROUTER PROCESSING` comments while waiting),
Azure OpenAI's quota pages (429 with `{"error": {"code": "429", "message": ...}}`,
`retry-after`, `retry-after-ms`, `x-ratelimit-remaining-*`), vLLM's OpenAI server (an
error object with a numeric code, older versions at the top level with
`"object": "error"`) and Ollama's OpenAI compatibility (`not_found_error` / `api_error`
types, the native `{"error": "..."}`, `fp_ollama` streams).
"""

from __future__ import annotations

import json

from monitor.config import ProviderKind
from monitor.results import FailureClass
from tests.conformance.loopback import Transcript

ANTHROPIC, OPENAI, GEMINI = ProviderKind.ANTHROPIC, ProviderKind.OPENAI, ProviderKind.GEMINI
COMPATIBLE = ProviderKind.OPENAI_COMPATIBLE
JSON = {"content-type": "application/json"}
SSE = {"content-type": "text/event-stream"}


def body(value: object) -> str:
    return json.dumps(value)


def openai_stream(model: str, comments: str = "", fingerprint: str | None = None) -> str:
    def chunk(delta: dict, finish: str | None = None) -> str:
        document = {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": model,
            "system_fingerprint": fingerprint,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(document)}\n\n"

    return (
        comments
        + chunk({"role": "assistant", "content": ""})
        + chunk({"content": "{answer}"})
        + chunk({}, "stop")
        + "data: [DONE]\n\n"
    )


def litellm_error(kind: str, status: int, message: str) -> str:
    return body({"error": {"message": message, "type": kind, "param": None, "code": str(status)}})


# (transcript, the class the README's rules give)
TRANSCRIPTS: list[tuple[Transcript, FailureClass]] = [
    # -- LiteLLM proxy -----------------------------------------------------------------
    (
        Transcript(
            "litellm-429-throttling",
            COMPATIBLE,
            429,
            litellm_error(
                "throttling_error",
                429,
                "litellm.RateLimitError: RateLimitError: OpenAIException - Rate limit "
                "reached for requests",
            ),
            {**JSON, "llm_provider-retry-after": "5"},
        ),
        FailureClass.CAPACITY,
    ),
    (
        Transcript(
            "litellm-429-openai-route",
            OPENAI,
            429,
            litellm_error("throttling_error", 429, "litellm.RateLimitError: upstream 429"),
            {
                **JSON,
                "llm_provider-retry-after": "5",
                "llm_provider-x-ratelimit-remaining-requests": "0",
            },
        ),
        FailureClass.CAPACITY,
    ),
    (
        Transcript(
            "litellm-429-anthropic-route",
            ANTHROPIC,
            429,
            body(
                {
                    "type": "error",
                    "error": {
                        "type": "rate_limit_error",
                        "message": "litellm.RateLimitError: AnthropicException - "
                        "Number of request tokens has exceeded your per-minute rate limit",
                    },
                }
            ),
            JSON,
        ),
        FailureClass.CAPACITY,
    ),
    (
        Transcript(
            "litellm-429-gemini-route",
            GEMINI,
            429,
            litellm_error("throttling_error", 429, "litellm.RateLimitError: VertexAIException"),
            {**JSON, "llm_provider-retry-after": "5"},
        ),
        FailureClass.CAPACITY,
    ),
    (
        Transcript(
            "litellm-408-timeout",
            COMPATIBLE,
            408,
            litellm_error("timeout", 408, "litellm.Timeout: Connection timed out after 600.0 s."),
            JSON,
        ),
        FailureClass.AMBIGUOUS,
    ),
    (
        Transcript(
            "litellm-408-anthropic-route",
            ANTHROPIC,
            408,
            body(
                {
                    "type": "error",
                    "error": {
                        "type": "timeout_error",
                        "message": "litellm.Timeout: request timed out",
                    },
                }
            ),
            JSON,
        ),
        FailureClass.AMBIGUOUS,
    ),
    (
        Transcript(
            "litellm-400-no-db-connection",
            COMPATIBLE,
            400,
            litellm_error("no_db_connection", 400, "No connected db."),
            JSON,
        ),
        FailureClass.CONFIGURATION,
    ),
    (
        Transcript(
            "litellm-401-bad-virtual-key",
            COMPATIBLE,
            401,
            litellm_error("auth_error", 401, "Authentication Error, Invalid proxy server token"),
            JSON,
        ),
        FailureClass.CONFIGURATION,
    ),
    (
        Transcript(
            "litellm-500-upstream",
            COMPATIBLE,
            500,
            litellm_error(
                "internal_server_error",
                500,
                "litellm.InternalServerError: OpenAIException - Connection error.",
            ),
            JSON,
        ),
        FailureClass.INFRASTRUCTURE,
    ),
    (
        # What LiteLLM 1.108 sends when `router_settings.fallbacks` answered for a model
        # group that failed: the fallback's name in the stream and in its headers.
        Transcript(
            "litellm-fallback-serves-another-model",
            COMPATIBLE,
            200,
            openai_stream("gpt-4o-mini-2024-07-18"),
            {
                **SSE,
                "x-litellm-model-group": "gpt-4o-mini",
                "x-litellm-attempted-retries": "0",
                "x-litellm-attempted-fallbacks": "1",
            },
            model="gpt-4o",
        ),
        FailureClass.INFRASTRUCTURE,
    ),
    # LiteLLM 1.108 on a model group with `num_retries`, when a retry answered.
    (
        Transcript(
            "litellm-answer-after-retries",
            COMPATIBLE,
            200,
            openai_stream("gpt-4o"),
            {
                **SSE,
                "x-litellm-model-group": "gpt-4o",
                "x-litellm-attempted-retries": "1",
                "x-litellm-attempted-fallbacks": "0",
            },
            model="gpt-4o",
        ),
        FailureClass.OK,
    ),
    # Another name in the stream and no gateway saying it fell back: an alias, a
    # snapshot, a router's choice; recorded, but nothing says the model asked failed.
    (
        Transcript(
            "stream-names-another-model",
            COMPATIBLE,
            200,
            openai_stream("gpt-4o-mini-2024-07-18"),
            SSE,
            model="gpt-4o",
        ),
        FailureClass.OK,
    ),
    # -- OpenRouter --------------------------------------------------------------------
    (
        Transcript(
            "openrouter-429",
            COMPATIBLE,
            429,
            body(
                {
                    "error": {
                        "code": 429,
                        "message": "Rate limit exceeded: free-models-per-min.",
                        "metadata": {"headers": {"X-RateLimit-Limit": "20"}},
                    }
                }
            ),
            JSON,
            model="openai/gpt-4o",
        ),
        FailureClass.CAPACITY,
    ),
    (
        Transcript(
            "openrouter-429-retry-after",
            COMPATIBLE,
            429,
            body(
                {
                    "error": {
                        "code": 429,
                        "message": "Provider returned error",
                        "metadata": {"provider_name": "OpenAI"},
                    }
                }
            ),
            {**JSON, "retry-after": "3"},
            model="openai/gpt-4o",
        ),
        FailureClass.CAPACITY,
    ),
    (
        Transcript(
            "openrouter-402-credits",
            COMPATIBLE,
            402,
            body(
                {
                    "error": {
                        "code": 402,
                        "message": "Insufficient credits. Add more using "
                        "https://openrouter.ai/credits",
                    }
                }
            ),
            JSON,
            model="openai/gpt-4o",
        ),
        FailureClass.CONFIGURATION,
    ),
    (
        Transcript(
            "openrouter-408",
            COMPATIBLE,
            408,
            body({"error": {"code": 408, "message": "Request timed out"}}),
            JSON,
            model="openai/gpt-4o",
        ),
        FailureClass.AMBIGUOUS,
    ),
    (
        Transcript(
            "openrouter-502-model-down",
            COMPATIBLE,
            502,
            body(
                {
                    "error": {
                        "code": 502,
                        "message": "Provider returned error",
                        "metadata": {"provider_name": "Together"},
                    }
                }
            ),
            JSON,
            model="meta-llama/llama-3.1-8b-instruct",
        ),
        FailureClass.INFRASTRUCTURE,
    ),
    (
        Transcript(
            "openrouter-503-no-provider",
            COMPATIBLE,
            503,
            body(
                {
                    "error": {
                        "code": 503,
                        "message": "No allowed providers are available for the selected model.",
                    }
                }
            ),
            JSON,
            model="openai/gpt-4o",
        ),
        FailureClass.INFRASTRUCTURE,
    ),
    (
        Transcript(
            "openrouter-error-after-200",
            COMPATIBLE,
            200,
            ": OPENROUTER PROCESSING\n\n"
            + "data: "
            + json.dumps(
                {
                    "id": "gen-1",
                    "object": "chat.completion.chunk",
                    "created": 1,
                    "model": "openai/gpt-4o",
                    "error": {"code": "server_error", "message": "Provider disconnected"},
                    "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}],
                }
            )
            + "\n\n",
            SSE,
            model="openai/gpt-4o",
        ),
        FailureClass.INFRASTRUCTURE,
    ),
    (
        Transcript(
            "openrouter-stream-with-processing-comments",
            COMPATIBLE,
            200,
            openai_stream("openai/gpt-4o", comments=": OPENROUTER PROCESSING\n\n" * 3),
            SSE,
            model="openai/gpt-4o",
        ),
        FailureClass.OK,
    ),
    # -- Azure OpenAI ------------------------------------------------------------------
    (
        Transcript(
            "azure-429-token-rate",
            OPENAI,
            429,
            body(
                {
                    "error": {
                        "code": "429",
                        "message": "Requests to the ChatCompletions_Create Operation "
                        "under Azure OpenAI API version 2024-10-21 have exceeded token rate "
                        "limit of your current OpenAI S0 pricing tier. "
                        "Please retry after 6 seconds.",
                    }
                }
            ),
            {
                **JSON,
                "retry-after": "6",
                "retry-after-ms": "6000",
                "x-ratelimit-remaining-tokens": "0",
                "x-ratelimit-remaining-requests": "12",
            },
        ),
        FailureClass.CAPACITY,
    ),
    (
        Transcript(
            "azure-429-without-headers",
            OPENAI,
            429,
            body({"error": {"code": "429", "message": "Rate limit is exceeded. Try again later."}}),
            JSON,
        ),
        FailureClass.CAPACITY,
    ),
    (
        Transcript(
            "azure-401-subscription-key",
            OPENAI,
            401,
            body(
                {
                    "error": {
                        "code": "401",
                        "message": "Access denied due to invalid subscription "
                        "key or wrong API endpoint.",
                    }
                }
            ),
            JSON,
        ),
        FailureClass.CONFIGURATION,
    ),
    (
        Transcript(
            "azure-404-deployment",
            OPENAI,
            404,
            body(
                {
                    "error": {
                        "code": "DeploymentNotFound",
                        "message": "The API deployment for this resource does not exist.",
                    }
                }
            ),
            JSON,
        ),
        FailureClass.CONFIGURATION,
    ),
    (
        Transcript(
            "azure-400-content-filter",
            OPENAI,
            400,
            body(
                {
                    "error": {
                        "message": "The response was filtered due to the prompt triggering "
                        "Azure OpenAI's content management policy.",
                        "type": None,
                        "param": "prompt",
                        "code": "content_filter",
                        "status": 400,
                    }
                }
            ),
            JSON,
        ),
        FailureClass.CONFIGURATION,
    ),
    # -- vLLM --------------------------------------------------------------------------
    (
        Transcript(
            "vllm-404-model",
            COMPATIBLE,
            404,
            body(
                {
                    "error": {
                        "message": "The model `llama` does not exist.",
                        "type": "NotFoundError",
                        "param": "model",
                        "code": 404,
                    }
                }
            ),
            JSON,
        ),
        FailureClass.CONFIGURATION,
    ),
    (
        Transcript(
            "vllm-older-400-top-level",
            COMPATIBLE,
            400,
            body(
                {
                    "object": "error",
                    "message": "This model's maximum context length is 8192 tokens.",
                    "type": "BadRequestError",
                    "param": None,
                    "code": 400,
                }
            ),
            JSON,
        ),
        FailureClass.CONFIGURATION,
    ),
    (
        Transcript(
            "vllm-500-engine-dead",
            COMPATIBLE,
            500,
            body(
                {
                    "error": {
                        "message": "EngineCore encountered an issue.",
                        "type": "InternalServerError",
                        "param": None,
                        "code": 500,
                    }
                }
            ),
            JSON,
        ),
        FailureClass.INFRASTRUCTURE,
    ),
    (
        Transcript(
            "vllm-stream",
            COMPATIBLE,
            200,
            openai_stream("meta-llama/Llama-3.1-8B-Instruct"),
            SSE,
            model="meta-llama/Llama-3.1-8B-Instruct",
        ),
        FailureClass.OK,
    ),
    # -- Ollama ------------------------------------------------------------------------
    (
        Transcript(
            "ollama-404-not-pulled",
            COMPATIBLE,
            404,
            body(
                {
                    "error": {
                        "message": 'model "llama3.1:8b" not found, try pulling it first',
                        "type": "not_found_error",
                        "param": None,
                        "code": None,
                    }
                }
            ),
            JSON,
            model="llama3.1:8b",
        ),
        FailureClass.CONFIGURATION,
    ),
    (
        Transcript(
            "ollama-500-native-error",
            COMPATIBLE,
            500,
            body({"error": "llama runner process has terminated: exit status 2"}),
            JSON,
            model="llama3.1:8b",
        ),
        FailureClass.INFRASTRUCTURE,
    ),
    (
        Transcript(
            "ollama-stream",
            COMPATIBLE,
            200,
            openai_stream("llama3.1:8b", fingerprint="fp_ollama"),
            SSE,
            model="llama3.1:8b",
        ),
        FailureClass.OK,
    ),
    # -- Gemini behind a compatible front end ------------------------------------------
    (
        Transcript(
            "gemini-429-without-retry-info",
            GEMINI,
            429,
            body(
                {
                    "error": {
                        "code": 429,
                        "message": "Resource has been exhausted (e.g. check quota).",
                        "status": "RESOURCE_EXHAUSTED",
                    }
                }
            ),
            JSON,
            model="gemini-2.5-flash",
        ),
        FailureClass.CAPACITY,
    ),
]

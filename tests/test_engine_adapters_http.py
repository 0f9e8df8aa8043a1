"""The HTTP engine adapters against a stub server speaking each provider's wire protocol,
through the real SDKs (anthropic, openai, google-genai) and httpx (Ollama)."""

import importlib.util
import json
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from engines.adapters.anthropic_api import AnthropicAdapter
from engines.adapters.base import Adapter, ReadinessState
from engines.adapters.gemini_api import GeminiAdapter
from engines.adapters.ollama import OllamaAdapter, ollama_base_url
from engines.adapters.openai_api import OpenAIAdapter, OpenRouterAdapter
from engines.contracts import DreamDraft, MomentContext, MomentDraft, PerceptInput
from engines.errors import (
    EngineAuthFailed,
    EngineError,
    EngineNotReady,
    EngineOutputInvalid,
    EngineRateLimited,
    EngineTimeout,
    EngineUnreachable,
)
from engines.prompts import COGNIZE_SYSTEM
from engines.schemas import draft_schema
from tests.stub_servers import StubServer

# No key shape redact() would recognise: only the adapters' own scrubbing can hide it.
API_KEY = "plainsecretvalue"
MOMENT = {
    "mind_moment": "A visitor lingered by the window, and the room felt warmer for it.",
    "sigil_phrase": "warm window",
    "sigil_code": "ctx.beginPath();\nctx.arc(50, 50, 30, 0, Math.PI * 2);\nctx.stroke();",
    "circumplex": {"valence": 0.4, "arousal": -0.2},
}
ANSWER = f"Here is the moment.\n```json\n{json.dumps(MOMENT, indent=1)}\n```\nThat is all."
PERCEPTS = [PerceptInput(kind="visual", description="a visitor by the window")]
MATERIAL = [
    MomentContext(
        id=7,
        cycle=3,
        text="A visitor by the window.",
        sigil_phrase="warm window",
        valence=0.4,
        arousal=-0.2,
    )
]
DREAM = {
    "title": "The window dream",
    "narrative": "The room kept the warmth of the one who lingered.",
    "themes": [{"name": "warmth", "summary": "A visitor warmed the room.", "moment_ids": [7]}],
    "threads": [{"name": "the window", "note": ""}],
    "sigil_phrase": "kept warmth",
    "sigil_code": MOMENT["sigil_code"],
    "circumplex": {"valence": 0.3, "arousal": -0.3},
}


@dataclass(frozen=True)
class Provider:
    name: str
    adapter: Adapter
    model: str
    # The environment that points the adapter at a server (with its key, if it has one).
    env_for: Callable[[str], dict[str, str]]
    keyed: bool = True

    def __str__(self) -> str:
        return self.name


PROVIDERS = [
    Provider(
        "anthropic",
        AnthropicAdapter(),
        "claude-test",
        lambda url: {"ANTHROPIC_API_KEY": API_KEY, "ANTHROPIC_BASE_URL": url},
    ),
    Provider(
        "openai",
        OpenAIAdapter(),
        "gpt-test",
        lambda url: {"OPENAI_API_KEY": API_KEY, "OPENAI_BASE_URL": f"{url}/v1"},
    ),
    Provider(
        "openrouter",
        OpenRouterAdapter(),
        "vendor/model-test",
        lambda url: {"OPENROUTER_API_KEY": API_KEY, "OPENROUTER_BASE_URL": f"{url}/api/v1"},
    ),
    Provider(
        "gemini",
        GeminiAdapter(),
        "gemini-test",
        lambda url: {"GEMINI_API_KEY": API_KEY, "GEMINI_BASE_URL": url},
    ),
    Provider(
        "ollama",
        OllamaAdapter(),
        "llama3.2",
        # Without a scheme, the way OLLAMA_HOST is often written.
        lambda url: {"OLLAMA_HOST": url.removeprefix("http://")},
        keyed=False,
    ),
]
BY_NAME = {provider.name: provider for provider in PROVIDERS}
KEYED = [provider for provider in PROVIDERS if provider.keyed]
# The providers whose schema carries the draft's name (a tool's, a response format's).
NAMED_SCHEMAS = {"anthropic", "openai", "openrouter"}


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx reads proxy settings from os.environ itself; the stub is local."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with StubServer() as server:
        yield server


@pytest.fixture(params=PROVIDERS, ids=str)
def provider(request: pytest.FixtureRequest) -> Provider:
    return request.param


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def engine(provider: Provider, env: dict[str, str], *, timeout: float = 5.0):
    return provider.adapter.engine(model=provider.model, timeout=timeout, env=env)


def cognize(provider: Provider, env: dict[str, str], *, timeout: float = 5.0):
    return engine(provider, env, timeout=timeout).cognize(PERCEPTS, [])


def raised(provider: Provider, env: dict[str, str], error_type: type[EngineError]) -> EngineError:
    with pytest.raises(error_type) as caught:
        cognize(provider, env)
    assert API_KEY not in str(caught.value)
    return caught.value


# --- Calls ----------------------------------------------------------------------------------


def test_success_returns_a_validated_draft_with_token_counts(provider, stub):
    stub.reply_with_json(MOMENT)
    stub.script.input_tokens, stub.script.output_tokens = 123, 45

    answer = cognize(provider, provider.env_for(stub.url))

    assert isinstance(answer.draft, MomentDraft)
    assert answer.draft.sigil_phrase == "warm window"
    assert answer.draft.sigil_commands
    assert (answer.input_tokens, answer.output_tokens) == (123, 45)
    request = stub.last_request
    assert request.model() == provider.model
    assert request.system_prompt() == COGNIZE_SYSTEM
    assert "a visitor by the window" in request.user_prompt()


@pytest.mark.parametrize(
    ("call", "draft_type", "answer"),
    [
        (lambda engine: engine.cognize(PERCEPTS, []), MomentDraft, MOMENT),
        (lambda engine: engine.dream(MATERIAL, []), DreamDraft, DREAM),
    ],
    ids=["cognize", "dream"],
)
def test_each_request_carries_the_drafts_schema(provider, stub, call, draft_type, answer):
    stub.reply_with_json(answer)
    expected = draft_schema(draft_type)

    draft = call(engine(provider, provider.env_for(stub.url))).draft

    assert isinstance(draft, draft_type)
    name, schema = stub.last_request.draft_schema()
    assert schema == expected.json_schema
    if provider.name in NAMED_SCHEMAS:
        assert name == expected.name


@pytest.mark.parametrize(
    "broken",
    [
        {**MOMENT, "circumplex": {"valence": 3, "arousal": 0}},
        {key: value for key, value in MOMENT.items() if key != "sigil_code"},
        {**MOMENT, "sigil_code": "window.alert(1)"},
    ],
    ids=["out of range", "missing field", "sigil code that does not parse"],
)
def test_an_answer_that_breaks_the_schema_is_refused(provider, stub, broken):
    stub.reply_with_json(broken)

    raised(provider, provider.env_for(stub.url), EngineOutputInvalid)


def test_the_key_is_sent_the_way_each_provider_expects(stub):
    stub.reply_with_json(MOMENT)
    anthropic = BY_NAME["anthropic"]

    cognize(anthropic, anthropic.env_for(stub.url))
    # The SDK chooses between x-api-key and a bearer token (2.x sends the latter).
    assert stub.last_request.credential() == API_KEY
    assert stub.last_request.headers["anthropic-version"]
    for bearer in (BY_NAME["openai"], BY_NAME["openrouter"]):
        cognize(bearer, bearer.env_for(stub.url))
        assert stub.last_request.headers["authorization"] == f"Bearer {API_KEY}"
    gemini = BY_NAME["gemini"]
    cognize(gemini, gemini.env_for(stub.url))
    assert stub.last_request.headers["x-goog-api-key"] == API_KEY
    assert stub.last_request.path.endswith("/models/gemini-test:generateContent")


def test_ollama_asks_for_a_single_answer_held_to_the_schema(stub):
    stub.reply_with_json(MOMENT)
    ollama = BY_NAME["ollama"]

    cognize(ollama, ollama.env_for(stub.url))

    assert stub.last_request.path == "/api/chat"
    assert stub.last_request.body["stream"] is False
    assert stub.last_request.body["format"] == draft_schema(MomentDraft).json_schema


def test_openai_compatible_server_without_a_key_gets_a_placeholder(stub):
    stub.reply_with_json(MOMENT)
    env = {"OPENAI_BASE_URL": f"{stub.url}/v1"}

    assert OpenAIAdapter().check(env).state is ReadinessState.READY
    cognize(BY_NAME["openai"], env)

    assert stub.last_request.credential()


def test_a_server_without_json_schema_answers_is_asked_again_without_it(stub):
    stub.refuses_json_schema = True
    stub.reply_with(ANSWER)  # prose around the JSON, as models write without the feature
    openai = BY_NAME["openai"]

    answer = cognize(openai, openai.env_for(stub.url))

    assert answer.draft.sigil_phrase == "warm window"
    refused, accepted = stub.requests
    assert refused.draft_schema() is not None
    assert "response_format" not in accepted.body
    assert accepted.user_prompt() == refused.user_prompt()


def test_other_refused_requests_are_not_asked_again(stub):
    stub.fail_with(400)
    openai = BY_NAME["openai"]

    error = raised(openai, openai.env_for(stub.url), EngineError)

    assert "400" in error.detail
    assert len(stub.requests) == 1


def test_a_retry_without_the_schema_keeps_to_the_time_limit(stub):
    # Every answer takes 0.3 s: the refusal leaves 0.2 s of the 0.5 s limit, too little for
    # the second answer, which a fresh 0.5 s limit would have waited for.
    stub.refuses_json_schema = True
    stub.reply_slowly(ANSWER, seconds=0.3)
    openai = BY_NAME["openai"]

    with pytest.raises(EngineTimeout):
        cognize(openai, openai.env_for(stub.url), timeout=0.5)

    assert len(stub.requests) == 2


def test_refused_credentials_are_an_auth_failure_without_the_key(provider, stub):
    stub.fail_with(401)

    raised(provider, provider.env_for(stub.url), EngineAuthFailed)

    if provider.keyed:  # the stub quoted the key back; the error must not repeat it
        assert stub.last_request.credential() == API_KEY


def test_forbidden_is_an_auth_failure(provider, stub):
    stub.fail_with(403)

    raised(provider, provider.env_for(stub.url), EngineAuthFailed)


def test_rate_limiting_is_reported_as_such(provider, stub):
    stub.fail_with(429)

    raised(provider, provider.env_for(stub.url), EngineRateLimited)


def test_other_server_errors_are_engine_errors(provider, stub):
    stub.fail_with(500)

    error = raised(provider, provider.env_for(stub.url), EngineError)

    assert type(error) is EngineError
    assert "500" in error.detail


def test_a_slow_server_is_a_timeout(provider, stub):
    stub.reply_slowly(ANSWER, seconds=2)
    started = time.monotonic()

    with pytest.raises(EngineTimeout) as caught:
        cognize(provider, provider.env_for(stub.url), timeout=0.5)

    assert time.monotonic() - started < 1.5
    assert API_KEY not in str(caught.value)


def test_prose_without_json_is_invalid_output(provider, stub):
    stub.reply_with_prose()

    raised(provider, provider.env_for(stub.url), EngineOutputInvalid)


def test_a_closed_port_is_unreachable(provider):
    raised(provider, provider.env_for(closed_port_url()), EngineUnreachable)


@pytest.mark.parametrize("provider", KEYED, ids=str)
def test_building_an_engine_without_its_key_is_refused(provider):
    with pytest.raises(EngineNotReady):
        provider.adapter.engine(model=provider.model, timeout=1.0, env={})


# --- Readiness ------------------------------------------------------------------------------


def test_ready_when_configured(provider, stub):
    assert provider.adapter.check(provider.env_for(stub.url)).state is ReadinessState.READY


@pytest.mark.parametrize(
    ("provider", "env", "hint"),
    [
        (
            BY_NAME["anthropic"],
            {"OPENAI_API_KEY": API_KEY, "ANTHROPIC_BASE_URL": "http://127.0.0.1:1"},
            "Set ANTHROPIC_API_KEY in the server's environment (or .env), then restart Dreams.",
        ),
        (
            BY_NAME["openai"],
            {"ANTHROPIC_API_KEY": API_KEY, "OPENAI_BASE_URL": ""},
            "Set OPENAI_API_KEY (or OPENAI_BASE_URL for an OpenAI-compatible server) in the "
            "server's environment (or .env), then restart Dreams.",
        ),
        (
            BY_NAME["openrouter"],
            {"OPENAI_API_KEY": API_KEY, "OPENROUTER_BASE_URL": "http://127.0.0.1:1/api/v1"},
            "Set OPENROUTER_API_KEY in the server's environment (or .env), then restart Dreams.",
        ),
        (
            BY_NAME["gemini"],
            {"OPENAI_API_KEY": API_KEY, "GEMINI_BASE_URL": "http://127.0.0.1:1"},
            "Set GEMINI_API_KEY in the server's environment (or .env), then restart Dreams.",
        ),
    ],
    ids=str,
)
def test_a_missing_key_needs_setup(provider, env, hint):
    check = provider.adapter.check(env)

    assert check.state is ReadinessState.NEEDS_SETUP
    assert check.fix_hint == hint


@pytest.mark.parametrize(
    ("provider", "module", "sdk"),
    [
        (BY_NAME["anthropic"], "anthropic", "the Anthropic SDK"),
        (BY_NAME["openai"], "openai", "the OpenAI SDK"),
        (BY_NAME["openrouter"], "openai", "the OpenAI SDK"),
        (BY_NAME["gemini"], "google.genai", "Google's Gen AI SDK"),
    ],
    ids=str,
)
def test_a_missing_sdk_is_not_installed(provider, module, sdk, monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *args: None if name == module else real_find_spec(name, *args),
    )

    check = provider.adapter.check(provider.env_for("http://127.0.0.1:1"))

    assert check.state is ReadinessState.NOT_INSTALLED
    assert check.fix_hint == f"Install {sdk}: pip install 'dreams[providers]', then restart."


def test_gemini_refusing_the_key_is_an_auth_failure(stub):
    # Gemini answers an unknown key with 400 and a reason, not with 401.
    stub.fail_with(400, reason="API_KEY_INVALID")
    gemini = BY_NAME["gemini"]

    raised(gemini, gemini.env_for(stub.url), EngineAuthFailed)


def test_gemini_takes_googles_own_key_variable_too(stub):
    stub.reply_with_json(MOMENT)
    gemini = BY_NAME["gemini"]
    google_only = {"GOOGLE_API_KEY": "google-key", "GEMINI_BASE_URL": stub.url}

    assert gemini.adapter.check(google_only).state is ReadinessState.READY
    cognize(gemini, google_only)
    assert stub.last_request.credential() == "google-key"
    cognize(gemini, google_only | {"GEMINI_API_KEY": API_KEY})
    assert stub.last_request.credential() == API_KEY


def test_gemini_without_an_answer_is_invalid_output(stub):
    stub.reply_with("")
    gemini = BY_NAME["gemini"]

    error = raised(gemini, gemini.env_for(stub.url), EngineOutputInvalid)

    assert "Gemini gave no answer" in error.operator_message


def test_ollama_on_a_closed_port_is_unreachable():
    started = time.monotonic()

    check = OllamaAdapter().check({"OLLAMA_HOST": closed_port_url()})

    assert check.state is ReadinessState.UNREACHABLE
    assert check.fix_hint == (
        "Start Ollama (ollama serve) or set OLLAMA_HOST to where it runs, then reload."
    )
    assert time.monotonic() - started < 1.0


def test_ollama_without_the_model_needs_a_pull(stub):
    stub.ollama_models = ["mistral:latest"]

    check = OllamaAdapter().check({"OLLAMA_HOST": stub.url, "OLLAMA_MODEL": "qwen2.5:7b"})

    assert check.state is ReadinessState.NEEDS_SETUP
    assert check.fix_hint == "Pull the model on the Ollama server: ollama pull qwen2.5:7b"
    assert stub.last_request.path == "/api/tags"


@pytest.mark.parametrize(
    ("listed", "configured"),
    [
        ("llama3.2:latest", ""),  # the registry's default model, named without a tag
        ("mistral", "mistral:latest"),
        ("qwen2.5:7b", "qwen2.5:7b"),
    ],
)
def test_ollama_matches_models_with_or_without_latest(stub, listed, configured):
    stub.ollama_models = [listed]
    env = {"OLLAMA_HOST": stub.url} | ({"OLLAMA_MODEL": configured} if configured else {})

    assert OllamaAdapter().check(env).state is ReadinessState.READY


def test_ollama_check_survives_a_nonsense_host():
    check = OllamaAdapter().check({"OLLAMA_HOST": "http://[not a host"})

    assert check.state is ReadinessState.UNREACHABLE


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("", "http://127.0.0.1:11434"),
        ("example.org", "http://example.org:11434"),
        ("example.org:8080", "http://example.org:8080"),
        (":8080", "http://127.0.0.1:8080"),
        ("0.0.0.0", "http://0.0.0.0:11434"),
        ("[::1]:11434", "http://[::1]:11434"),
        ("http://example.org", "http://example.org"),
        ("https://example.org:8443/", "https://example.org:8443"),
        ("https://proxy.example.org/ollama", "https://proxy.example.org/ollama"),
        ('"127.0.0.1:5000"', "http://127.0.0.1:5000"),
    ],
)
def test_ollama_host_is_read_the_way_ollama_reads_it(host, url):
    assert ollama_base_url(host) == url

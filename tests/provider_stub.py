"""The OpenAI engine, selected, talking to the stub provider server (tests/stub_servers.py):
a fixture for tests that need to see what a language-model engine is sent, with the moment
it answers by default."""

import json
from collections.abc import Iterator

import pytest

from engines.models import SelectionSource
from engines.selection import engine_select
from tests.stub_servers import StubServer

# No key shape redact() would recognise: only the adapters' own scrubbing can hide it.
STUB_KEY = "plainsecretvalue"
MOMENT_ANSWER = json.dumps(
    {
        "mind_moment": "The lamp turned once for the person in the yellow coat.",
        "sigil_phrase": "turning lamp",
        "sigil_code": "ctx.beginPath();\nctx.arc(50, 50, 30, 0, Math.PI * 2);\nctx.stroke();",
        "circumplex": {"valence": 0.4, "arousal": -0.2},
    }
)


@pytest.fixture
def openai_stub(engine_env) -> Iterator[StubServer]:
    with StubServer() as server:
        engine_env(OPENAI_API_KEY=STUB_KEY, OPENAI_BASE_URL=f"{server.url}/v1")
        engine_select(engine="openai", source=SelectionSource.ADMIN)
        server.reply_with(MOMENT_ANSWER)
        yield server

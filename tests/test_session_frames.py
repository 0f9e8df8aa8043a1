"""What a session's frames may hold: JSON text within a size and depth, the documented
fields with product-language refusals naming the field, and text without lone surrogates,
NUL or control characters. A refused frame changes nothing and the connection goes on."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from dreams.models import Percept
from dreamsite.asgi import application
from tests.communicators import SAME_ORIGIN, with_session_token
from tests.hostile_text import FRIENDLY_TEXT, HOSTILE_IDS, HOSTILE_VALUES

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture
async def session():
    await get_channel_layer().flush()
    communicator = WebsocketCommunicator(
        application, with_session_token("/ws/session/"), headers=SAME_ORIGIN
    )
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_to(text_data=json.dumps({"event": "startSession"}))
    assert json.loads(await communicator.receive_from(timeout=5))["event"] == "sessionStarted"
    yield communicator
    await communicator.disconnect()


async def reply_to(session: WebsocketCommunicator, **frame: object) -> dict:
    await session.send_to(text_data=json.dumps(frame))
    return json.loads(await session.receive_from(timeout=5))


async def refused(session: WebsocketCommunicator, reply: dict) -> dict:
    assert reply["event"] == "error", reply
    assert await database_sync_to_async(Percept.objects.count)() == 0
    # The connection is still usable.
    ok = await reply_to(session, event="percept", data={"kind": "audio", "transcript": "ok"})
    assert ok["event"] == "perceptAccepted"
    return reply["data"]


@pytest.mark.parametrize("text", HOSTILE_VALUES, ids=HOSTILE_IDS)
async def test_hostile_text_in_a_percept_is_refused_naming_the_field(session, text):
    reply = await reply_to(
        session, event="percept", data={"kind": "visual", "description": text}
    )
    error = await refused(session, reply)
    assert error["reason"] == "invalid_text"
    assert error["message"].startswith("description: contains ")


async def test_an_escaped_lone_surrogate_is_refused_like_a_raw_one(session):
    await session.send_to(
        text_data='{"event": "percept", "data": {"kind": "visual", "description": "x \\ud800 y"}}'
    )
    error = await refused(session, json.loads(await session.receive_from(timeout=5)))
    assert error["message"] == "description: contains an unpaired surrogate at position 3"


@pytest.mark.parametrize("text", FRIENDLY_TEXT)
async def test_text_a_person_writes_is_accepted(session, text):
    reply = await reply_to(session, event="percept", data={"kind": "audio", "transcript": text})
    assert reply["event"] == "perceptAccepted"
    stored = await database_sync_to_async(Percept.objects.get)()
    assert stored.payload["transcript"] == text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "visual", "description": "x" * 2001}, "description: at most 2,000 characters"),
        ({"kind": "visual"}, "description: required"),
        ({"kind": "visual", "description": 5}, "description: must be text"),
        ({"kind": "visual", "description": "x", "valence": 3}, "valence: a number from -1 to 1"),
        ({"kind": "smell", "description": "x"}, "kind: must be visual or audio"),
        ({"kind": "audio", "transcript": ""}, "transcript: must not be empty"),
    ],
)
async def test_a_refusal_names_the_field_in_plain_words(session, data, message):
    error = await refused(session, await reply_to(session, event="percept", data=data))
    assert error == {"reason": "invalid_frame", "message": message}


async def test_an_unknown_field_is_refused_listing_the_known_ones(session):
    data = {"kind": "audio", "transcript": "x", "volume": 11}
    error = await refused(session, await reply_to(session, event="percept", data=data))
    known = "kind, transcript, valence, arousal"
    assert error["message"] == f"data: unknown field; the fields are {known}"


async def test_a_deeply_nested_frame_is_refused_without_dropping_the_connection(session):
    deep = '{"event": "percept", "data": ' + "[" * 1000 + "]" * 1000 + "}"
    assert len(deep) < 2100
    await session.send_to(text_data=deep)
    error = await refused(session, json.loads(await session.receive_from(timeout=5)))
    assert error["reason"] == "too_deep"


async def test_brackets_inside_text_do_not_count_as_nesting(session):
    text = "[[[[" * 20 + '"{' * 10
    reply = await reply_to(session, event="percept", data={"kind": "audio", "transcript": text})
    assert reply["event"] == "perceptAccepted"


async def test_a_binary_frame_is_refused_with_an_error(session):
    frame = json.dumps({"event": "percept", "data": {"kind": "audio", "transcript": "hi"}})
    await session.send_to(bytes_data=frame.encode())
    error = await refused(session, json.loads(await session.receive_from(timeout=5)))
    assert error["reason"] == "binary_frame"

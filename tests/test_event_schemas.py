"""docs/events.md's schemas are generated from the event models (dreams.realtime.events),
and every event a frame can carry has one."""

import json

import pytest
from django.utils import timezone
from pydantic import ValidationError

from dreams.realtime.events import EVENTS, CycleCompleted, DreamRunChanged, parse_frame
from dreams.realtime.schema_docs import DOC, documented, render


def test_docs_events_md_is_generated_from_the_models():
    text = DOC.read_text()
    assert set(EVENTS) <= documented(text)
    assert render(text) == text, "run: python -m dreams.realtime.schema_docs"


def test_optional_fields_are_absent_from_the_frame_unless_set():
    frame = json.loads(CycleCompleted(cycle=3, skipped=False, moment_id=9).frame(4))
    assert frame == {
        "event": "cycleCompleted",
        "seq": 4,
        "data": {"cycle": 3, "skipped": False, "momentId": 9},
    }


def test_a_frame_with_an_unknown_field_or_a_wrong_type_is_refused():
    with pytest.raises(ValidationError):
        parse_frame(json.dumps({"event": "sessionsUpdate", "seq": 1, "data": {"count": -1}}))
    with pytest.raises(ValidationError):
        parse_frame(
            json.dumps({"event": "cycleStarted", "seq": 1, "data": {"cycle": 1, "extra": 1}})
        )


def test_a_dream_run_keeps_its_nulls_on_the_wire():
    now = timezone.now()
    event = DreamRunChanged(
        id=1,
        trigger="cli",
        status="running",
        reason="",
        stage="starting",
        engine="offline",
        dry_run=False,
        material_count=0,
        review_id=None,
        started_at=now,
        finished_at=None,
    )
    data = parse_frame(event.frame(1))[2].wire()
    assert data["reviewId"] is None and data["finishedAt"] is None
    assert data["startedAt"] == now.isoformat()

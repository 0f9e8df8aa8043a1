"""Headless configuration: `manage.py dream_settings` shows the dream settings and writes
them, with the setup wizard's validation, so a deployment by script needs no browser."""

import io
import json
from datetime import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dreams.models import Cadence, DreamSettings

pytestmark = pytest.mark.django_db


def dream_settings(*args: str) -> str:
    out = io.StringIO()
    call_command("dream_settings", *args, stdout=out)
    return out.getvalue()


def test_it_shows_the_settings_and_says_when_setup_is_unfinished():
    text = dream_settings()
    assert "cadence" in text and "Daily at 03:00 (UTC)" in text
    assert "cognitive_cycle_ms" in text and "(the environment's)" in text
    assert "Setup is not finished" in text


def test_set_and_finish_setup_write_through_the_service():
    data = json.loads(
        dream_settings(
            "--set", "cadence=interval",
            "--set", "interval_hours=6",
            "--set", "enabled=false",
            "--set", "daily_at=04:30",
            "--set", "dream_cycle_ms=15000",
            "--finish-setup",
            "--json",
        )
    )
    row = DreamSettings.objects.get()
    assert (row.cadence, row.interval_hours, row.enabled) == (Cadence.INTERVAL, 6, False)
    assert (row.daily_at, row.dream_cycle_ms) == (time(4, 30), 15000)
    assert row.setup_complete
    assert data["setup_complete"] is True
    assert data["loop_timing_in_force"]["dream_cycle_ms"] == 15000
    assert data["cadence_label"] == "Every 6 hours"


def test_an_empty_timing_goes_back_to_the_environment(settings):
    dream_settings("--set", "dream_cycle_ms=15000")
    dream_settings("--set", "dream_cycle_ms=")
    assert DreamSettings.objects.get().dream_cycle_ms is None


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("interval_hours=0", "interval_hours: Ensure this value is greater than or equal to 1."),
        ("enabled=maybe", "enabled: give true or false."),
        ("time_zone=Mars/Olympus", "time_zone: 'Mars/Olympus' is not a known time zone"),
        ("colour=red", "colour: not a dream setting"),
        ("cadence", "cadence: write FIELD=VALUE"),
        ("dream_cycle_ms=10", "dream_cycle_ms: Ensure this value is greater than or equal to"),
    ],
)
def test_a_refused_value_exits_2_and_changes_nothing(assignment, message):
    before = DreamSettings.load()
    with pytest.raises(CommandError) as refused:
        call_command(
            "dream_settings", "--set", "min_new_moments=9", "--set", assignment, "--finish-setup"
        )
    assert refused.value.returncode == 2
    assert message in str(refused.value)
    assert "Nothing was changed." in str(refused.value)
    after = DreamSettings.objects.get()
    assert (after.min_new_moments, after.setup_complete) == (before.min_new_moments, False)

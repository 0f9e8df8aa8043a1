"""`GET /api/settings/` reads the dream settings; `PATCH` changes any of them (and can finish
setup) under the control rule, with the same validation as the wizard and the command."""

import pytest

from dreams.models import Cadence, DreamSettings
from dreamsite.control import PUBLIC_DEMO_COPY

pytestmark = pytest.mark.django_db


def patch(client, body):
    return client.patch("/api/settings/", body, content_type="application/json")


def test_anyone_may_read_the_settings(client):
    body = client.get("/api/settings/").json()
    assert (body["cadence"], body["setup_complete"]) == ("daily", False)
    assert body["loop_timing_in_force"]["dream_cycle_ms"] > 0


def test_staff_change_some_fields_and_finish_setup(staff_client):
    response = patch(
        staff_client,
        {
            "cadence": "interval",
            "interval_hours": 6,
            "dream_cycle_ms": None,
            "setup_complete": True,
        },
    )
    assert response.status_code == 200, response.content
    row = DreamSettings.objects.get()
    assert (row.cadence, row.interval_hours, row.setup_complete) == (Cadence.INTERVAL, 6, True)
    assert response.json()["cadence_label"] == "Every 6 hours"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"interval_hours": 0}, "interval_hours"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"colour": "red"}, "colour"),
        ({"setup_complete": False}, "setup_complete"),
        ({"cadence": "hourly"}, "cadence"),
    ],
)
def test_a_refused_value_is_400_naming_the_field_and_nothing_changes(staff_client, body, field):
    response = patch(staff_client, {"min_new_moments": 9, **body})
    assert response.status_code == 400
    assert field in response.json()
    assert DreamSettings.load().min_new_moments != 9


def test_anonymous_callers_and_the_public_demo_cannot_change_them(client, staff_client, settings):
    assert patch(client, {"enabled": False}).status_code in (401, 403)
    settings.DREAMS_PUBLIC_DEMO = True
    refused = patch(staff_client, {"enabled": False})
    assert refused.status_code == 403
    assert refused.json()["detail"] == PUBLIC_DEMO_COPY
    assert DreamSettings.load().enabled is True

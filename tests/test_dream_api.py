import io
import json

import pytest
from django.core.management import call_command

from dreams.models import DreamRun, RunStatus
from dreams.services.dream_runs import run_dream
from dreams.services.seeding import moments_seed

# Setup is finished here: the gate before it is tested in test_setup_wizard.py.
pytestmark = pytest.mark.usefixtures("setup_done")

TOKEN = "dream-control-token-123"


def trigger(client, body=None, **headers):
    return client.post(
        "/api/dream/runs/", data=json.dumps(body or {}), content_type="application/json", **headers
    )


@pytest.mark.django_db(transaction=True)
def test_staff_trigger_answers_202_with_a_queued_run_that_a_worker_dreams(staff_client):
    moments_seed(count=12, seed=1)
    response = trigger(staff_client)
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["status"], body["trigger"], body["engine"]) == ("queued", "dashboard", "offline")
    # Nothing dreams in the web request: the run waits for a worker (here run_dream's).
    assert DreamRun.objects.get(pk=body["id"]).status == RunStatus.QUEUED
    call_command("run_dream", stdout=io.StringIO())
    run = DreamRun.objects.get(pk=body["id"])
    assert run.status == RunStatus.WRITTEN
    assert run.trigger == "dashboard"
    latest = staff_client.get("/api/dream/reviews/latest/").json()
    assert latest["id"] == run.review_id
    assert latest["images"]["svg"].endswith("sigil.svg")
    assert staff_client.get(f"/api/dream/runs/{run.pk}/").json()["review_id"] == run.review_id


@pytest.mark.django_db(transaction=True)
def test_a_trigger_while_a_run_is_going_gets_409_with_the_running_id(client, settings):
    settings.DREAMS_CONTROL_TOKEN = TOKEN
    moments_seed(count=12, seed=1)
    holder = DreamRun.objects.create(trigger="schedule", status=RunStatus.RUNNING)
    from django.utils import timezone

    DreamRun.objects.filter(pk=holder.pk).update(
        lease_expires_at=timezone.now() + timezone.timedelta(minutes=5)
    )
    response = trigger(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 409
    body = response.json()
    assert (body["status"], body["reason"], body["trigger"]) == (
        "skipped",
        "already_running",
        "api",
    )
    assert body["running_run_id"] == holder.pk


@pytest.mark.django_db
def test_skips_answer_200_with_the_reason(staff_client):
    response = trigger(staff_client, {"force": True})
    assert response.status_code == 200
    assert response.json()["reason"] == "no_material"
    assert "needed" in response.json()["detail"]


@pytest.mark.django_db
def test_triggers_are_guarded_like_engine_writes(client, staff_client, settings):
    assert trigger(client).status_code in (401, 403)
    assert trigger(staff_client, REMOTE_ADDR="198.51.100.7").status_code == 403
    settings.DREAMS_PUBLIC_DEMO = True
    refused = trigger(staff_client)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "This is a public demo: changes are turned off."
    assert not DreamRun.objects.exists()


@pytest.mark.django_db
def test_malformed_trigger_body_is_a_400(staff_client):
    assert trigger(staff_client, {"force": "sometimes"}).status_code == 400


@pytest.mark.django_db
def test_run_history_lists_and_filters(client):
    moments_seed(count=6, seed=2)
    run_dream(trigger="cli", force=True)
    run_dream(trigger="schedule", force=True)
    runs = client.get("/api/dream/runs/").json()["results"]
    assert [run["status"] for run in runs] == ["skipped", "written"]
    written = client.get("/api/dream/runs/?status=written").json()["results"]
    assert [run["trigger"] for run in written] == ["cli"]
    assert client.get("/api/dream/runs/?status=bogus").status_code == 400


@pytest.mark.django_db
def test_health_and_reviews_are_readable_by_anyone(client, scheduler_checking):
    assert client.get("/api/dream/health/").json()["status"] == "never_ran"
    assert client.get("/api/dream/reviews/latest/").status_code == 404
    moments_seed(count=6, seed=2)
    run = run_dream(trigger="cli", force=True)
    health = client.get("/api/dream/health/").json()
    assert health["status"] == "healthy"
    assert health["last_run"]["id"] == run.pk
    assert health["running_run_id"] is None
    reviews = client.get("/api/dream/reviews/").json()["results"]
    assert [review["id"] for review in reviews] == [run.review_id]
    detail = client.get(f"/api/dream/reviews/{run.review_id}/").json()
    assert detail["themes"] and detail["sigil_commands"]

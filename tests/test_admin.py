import pytest
from django.core.management import call_command
from django.test import Client

from dreams.models import MindMoment
from tests.factories import make_moment, make_percept, make_session

pytestmark = pytest.mark.django_db


def test_moment_list_shows_thumbnails_and_filters(staff_client):
    moment = make_moment(sigil_phrase="amber harbour")
    response = staff_client.get("/admin/dreams/mindmoment/?kind__exact=live&q=amber")
    html = response.content.decode()
    assert response.status_code == 200
    assert f"/api/moments/{moment.pk}/sigil.svg" in html
    assert "amber harbour" in html
    assert "By engine" in html or "engine" in html


def test_moment_detail_is_read_only_with_sigil_and_percepts(staff_client):
    session = make_session(client_name="gallery camera")
    moment = make_moment(session=session)
    make_percept(session=session, moment=moment, payload={"description": "a red coat"})
    response = staff_client.get(f"/admin/dreams/mindmoment/{moment.pk}/change/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f"/api/moments/{moment.pk}/sigil.svg" in html
    assert "a red coat" in html
    assert 'name="text"' not in html  # no editable inputs for history
    before = MindMoment.objects.get(pk=moment.pk).text
    staff_client.post(f"/admin/dreams/mindmoment/{moment.pk}/change/", {"text": "rewritten"})
    assert MindMoment.objects.get(pk=moment.pk).text == before


def test_moments_cannot_be_added_by_hand(staff_client):
    assert staff_client.get("/admin/dreams/mindmoment/add/").status_code == 403


def test_sessions_and_percepts_are_listed(staff_client):
    session = make_session(client_name="gallery camera")
    make_percept(session=session)
    assert "gallery camera" in staff_client.get("/admin/dreams/session/").content.decode()
    assert staff_client.get("/admin/dreams/percept/").status_code == 200


def test_a_new_install_gets_an_admin_login_it_can_use(settings, capsys, django_user_model):
    call_command("ensure_admin")
    output = capsys.readouterr().out
    password = (settings.VAR_DIR / "admin-password").read_text().strip()
    assert f"admin / {password}" in output
    client = Client()
    assert client.login(username="admin", password=password)
    assert client.get("/admin/").status_code == 200
    call_command("ensure_admin")
    assert django_user_model.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_run_dream_now_action_uses_the_run_service(staff_client, setup_done):
    import io

    from django.core.management import call_command

    from dreams.models import DreamRun, DreamSettings, RunStatus
    from dreams.services.seeding import moments_seed

    moments_seed(count=8, seed=5)
    settings_row = DreamSettings.load()
    response = staff_client.post(
        "/admin/dreams/dreamsettings/",
        {"action": "run_dream_now", "_selected_action": [settings_row.pk]},
        follow=True,
    )
    assert "is queued; the conductor dreams it with Offline (built in)" in response.content.decode()
    run = DreamRun.objects.get()
    assert (run.trigger, run.status) == ("admin", RunStatus.QUEUED)
    call_command("run_dream", stdout=io.StringIO())  # a worker takes the queued run
    run.refresh_from_db()
    assert run.status == RunStatus.WRITTEN
    review_page = staff_client.get(f"/admin/dreams/dreamreview/{run.review_id}/change/")
    html = review_page.content.decode()
    assert review_page.status_code == 200
    assert "/admin/dreams/mindmoment/" in html  # themes link the moments they cite
    assert "sigil.svg" in html
    assert staff_client.get("/admin/dreams/dreamrun/?status__exact=written").status_code == 200

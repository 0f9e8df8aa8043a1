"""One control rule on every surface: the admin (its change forms and actions), the setup
wizard and cookie sessions refuse writes in public demo mode and from other machines,
as the API does; in demo mode the admin is read-only."""

import json
import re

import httpx
import pytest
from django.test import Client
from websockets.asyncio.client import connect

from dreams.models import DEFAULT_PHASE_WEIGHTS, Cadence, DreamRun, DreamSettings
from dreamsite.control import PUBLIC_DEMO_COPY, REMOTE_COPY
from tests.children import Children, child_env, free_port, manage
from tests.factories import replay_admin_form
from tests.live import serving

pytestmark = pytest.mark.django_db

REMOTE = "203.0.113.9"
SETTINGS_FORM = {
    "enabled": "on",
    "cadence": "interval",
    "daily_at": "03:00",
    "interval_hours": "2",
    "time_zone": "UTC",
    "min_new_moments": "5",
    "max_material": "200",
    "timeout_s": "180",
    **{name: str(weight) for name, weight in DEFAULT_PHASE_WEIGHTS.items()},
    **replay_admin_form(),
}


@pytest.fixture
def remote_staff(django_user_model) -> Client:
    user = django_user_model.objects.create_user(
        username="far", password="x", is_staff=True, is_superuser=True
    )
    client = Client(REMOTE_ADDR=REMOTE)
    client.force_login(user)
    return client


def test_a_staff_member_on_another_machine_cannot_save_the_dream_settings(remote_staff):
    DreamSettings.load()
    response = remote_staff.post("/admin/dreams/dreamsettings/1/change/", SETTINGS_FORM)
    assert response.status_code == 403
    assert REMOTE_COPY in response.content.decode()
    assert DreamSettings.objects.get().cadence == Cadence.DAILY


def test_a_staff_member_on_another_machine_cannot_run_an_admin_action(remote_staff, setup_done):
    response = remote_staff.post(
        "/admin/dreams/dreamrun/", {"action": "run_dream_now", "_selected_action": []}
    )
    assert response.status_code == 403
    assert not DreamRun.objects.exists()


def test_a_staff_member_on_another_machine_cannot_take_a_wizard_step(remote_staff):
    response = remote_staff.post("/setup/cadence/", {"cadence": "interval", "interval_hours": 2})
    assert response.status_code == 403
    assert REMOTE_COPY in response.content.decode()


def test_another_machine_sees_the_admin_read_only(remote_staff):
    DreamSettings.load()
    page = remote_staff.get("/admin/dreams/dreamsettings/1/change/").content.decode()
    assert 'name="_save"' not in page
    assert 'name="cadence"' not in page


def test_on_this_machine_staff_still_save_through_the_admin(staff_client):
    DreamSettings.load()
    response = staff_client.post("/admin/dreams/dreamsettings/1/change/", SETTINGS_FORM)
    assert response.status_code == 302
    assert DreamSettings.objects.get().interval_hours == 2


def _csrf(client: httpx.Client, url: str) -> str:
    page = client.get(url).text
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


@pytest.mark.slow
async def test_a_public_demo_server_refuses_every_write_of_a_logged_in_staff_member(
    children: Children, tmp_path
):
    env = child_env(
        tmp_path,
        DREAMS_PUBLIC_DEMO="true",
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
    )
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "dream_settings", "--finish-setup")
    manage(env, "seed_moments", "--count", "20")
    password = manage(env, "ensure_admin").strip().rsplit(" ", 1)[-1]
    port = free_port()
    server = children.start("demo", env, "serve", "--port", str(port))
    await serving(server, port)
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, headers={"Referer": base + "/"}) as client:
        login = client.post(
            "/admin/login/?next=/admin/",
            data={
                "username": "admin",
                "password": password,
                "csrfmiddlewaretoken": _csrf(client, "/admin/login/"),
            },
        )
        assert login.status_code == 302, "logging in is not a write"
        token = client.cookies["csrftoken"]
        attempts = {
            "admin action": client.post(
                "/admin/dreams/dreamsettings/",
                data={
                    "action": "run_dream_now",
                    "_selected_action": ["1"],
                    "csrfmiddlewaretoken": token,
                },
            ),
            "admin change form": client.post(
                "/admin/dreams/dreamsettings/1/change/",
                data={**SETTINGS_FORM, "csrfmiddlewaretoken": token},
            ),
            "engine selection": client.post(
                "/admin/engines/engineselection/add/",
                data={"engine": "offline", "model": "", "csrfmiddlewaretoken": token},
            ),
            "user admin": client.post(
                "/admin/auth/user/add/",
                data={
                    "username": "intruder",
                    "password1": "Zz9!zz9!zz9!",
                    "password2": "Zz9!zz9!zz9!",
                    "csrfmiddlewaretoken": token,
                },
            ),
            "wizard step": client.post(
                "/setup/cadence/",
                data={"cadence": "interval", "interval_hours": "2", "csrfmiddlewaretoken": token},
            ),
        }
        for surface, response in attempts.items():
            assert response.status_code == 403, surface
            assert PUBLIC_DEMO_COPY in response.text, surface
        page = client.get("/admin/dreams/dreamsettings/1/change/").text
        assert 'name="_save"' not in page, "the admin is read-only in demo mode"
        session_cookie = client.cookies["sessionid"]

    async with connect(
        f"ws://127.0.0.1:{port}/ws/session/",
        origin=base,
        additional_headers={"Cookie": f"sessionid={session_cookie}"},
    ) as socket:
        refusal = json.loads(await socket.recv())
        assert refusal["data"]["message"] == PUBLIC_DEMO_COPY

    stored = json.loads(manage(env, "dream_settings", "--json"))
    assert stored["cadence"] == Cadence.DAILY
    assert json.loads(manage(env, "dream_status", "--json"))["running_run_id"] is None

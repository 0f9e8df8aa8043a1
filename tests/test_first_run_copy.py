"""What a new user reads on a first run: the README's quick start, the admin login that
`make run` prints, and the setup wizard's welcome."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from setup_wizard.forms import STEPS
from tests.children import Children, child_env, free_port, manage
from tests.live import serving

ROOT = Path(settings.BASE_DIR)
README = (ROOT / "README.md").read_text()
SETUP_FINISHED = "from dreams.services.dream_settings import setup_complete; setup_complete()"


def quick_start() -> str:
    return README.split("## Quick start", 1)[1].split("\n## ", 1)[0]


def test_the_quick_start_says_the_next_step_after_make_run_is_the_setup_wizard():
    text = quick_start()
    after_run = text.split("make run", 1)[1]
    assert "/setup/" in after_run
    # The wizard comes before the list of everything else to open.
    assert after_run.index("/setup/") < after_run.index("http://127.0.0.1:8000/ the dashboard")
    makefile = (ROOT / "Makefile").read_text()
    run_target = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "manage.py serve" in run_target


@pytest.mark.slow
async def test_the_server_says_to_finish_the_setup_wizard_only_until_it_is_finished(
    children: Children, tmp_path: Path
) -> None:
    env = child_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'first-run.sqlite3'}")
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    port = free_port()
    first = children.start("first run", env, "serve", "--port", str(port), "--no-conductor")
    await serving(first, port)
    assert f"finish the setup wizard at http://127.0.0.1:{port}/setup/" in first.log()
    first.kill()

    manage(env, "shell", "-c", SETUP_FINISHED)
    port = free_port()
    later = children.start("after setup", env, "serve", "--port", str(port), "--no-conductor")
    await serving(later, port)
    assert "setup wizard" not in later.log()


def test_every_file_the_readme_points_to_is_in_the_repository():
    links = re.findall(r"\]\(([^)#]+)\)", README)
    named = re.findall(r"`((?:\.\./|docs/|dreamsite/|benchmarks/)[^`\s]*)`", README)
    assert links, "the documentation list links its files"
    for target in links + named:
        if target.startswith(("http://", "https://")):
            continue
        assert (ROOT / target).resolve().is_relative_to(ROOT.resolve()), target
        assert (ROOT / target).exists(), target


@pytest.mark.django_db
def test_the_admin_password_is_printed_only_when_the_account_is_created(capsys):
    call_command("ensure_admin")
    created = capsys.readouterr().out
    password_file = Path(settings.VAR_DIR) / "admin-password"
    password = password_file.read_text().strip()
    assert created.strip().endswith(f"admin / {password}")
    assert "admin-password" in created  # where it is kept
    assert password_file.stat().st_mode & 0o077 == 0  # for the operator alone

    call_command("ensure_admin")
    again = capsys.readouterr().out
    assert password not in again
    assert "The admin account exists" in again
    assert "admin-password" in again  # where the first password still is
    assert "python manage.py changepassword admin" in again
    assert get_user_model().objects.count() == 1


@pytest.mark.django_db
def test_once_the_password_is_changed_its_file_goes_and_runs_say_how_to_reset(capsys):
    call_command("ensure_admin")
    capsys.readouterr()
    admin = get_user_model().objects.get(username="admin")
    admin.set_password("a password of the operator's own")
    admin.save()

    call_command("ensure_admin")
    output = capsys.readouterr().out
    assert not (Path(settings.VAR_DIR) / "admin-password").exists()
    assert "python manage.py changepassword admin" in output
    assert "password was changed" in output

    call_command("ensure_admin")
    output = capsys.readouterr().out
    assert output.strip() == (
        "The admin account exists (admin). To reset its password: "
        "`python manage.py changepassword admin`."
    )


@pytest.mark.django_db
def test_the_wizard_welcome_counts_its_own_steps(staff_client: Client):
    html = staff_client.get("/setup/welcome/").content.decode()
    said = re.search(r"in (\d+) short steps", html)
    assert said is not None
    assert int(said.group(1)) == len(STEPS)
    assert f"step 1 of {len(STEPS)}" in html
    outline = html.split('class="wizard-outline"', 1)[1].split("</ol>", 1)[0]
    assert re.findall(r"<strong>([^<]+)</strong>", outline) == [step.title for step in STEPS[1:]]
    assert len(re.findall(r"<li class=[^>]*>\s*<(?:a|span)", html)) == len(STEPS)  # the nav

"""The built wheel is a site on its own: installed (not editable) in a fresh venv, away from
the checkout, it migrates and serves the dashboard with its templates and static files, and
it holds no benchmark or test code.

The fresh venv borrows the dependencies already installed in this one (a path line, so that
this venv's editable install of the checkout is not picked up); `dreams` itself must come
from the wheel, which the child asserts before anything else."""

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.slow

# Run by the fresh venv's interpreter, in a directory that holds no checkout.
CHILD = r"""
import json, re, sys
from pathlib import Path

import django
import dreams

venv = Path(sys.argv[1]).resolve()
assert Path(dreams.__file__).resolve().is_relative_to(venv), dreams.__file__
django.setup()
from django.core.management import call_command
from django.test import Client

call_command("migrate", "--noinput", verbosity=0)
call_command("collectstatic", "--noinput", verbosity=0)
page = Client().get("/")
html = page.content.decode()
stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', html).group(1)
static = Client().get(stylesheet)
print(json.dumps({
    "dreams": dreams.__file__,
    "status": page.status_code,
    "title": re.search(r"<title>(.*?)</title>", html, re.S).group(1),
    "stylesheet": stylesheet,
    "static_status": static.status_code,
    "static_bytes": len(b"".join(static.streaming_content)),
}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), "."],
        cwd=settings.BASE_DIR, check=True, capture_output=True, timeout=300,
    )
    (built,) = out.glob("dreams-*.whl")
    return built


def test_the_wheel_carries_templates_static_files_and_migrations_but_no_benchmarks(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    templates = Path(settings.BASE_DIR, "templates")
    for template in templates.rglob("*.html"):
        assert f"dreamsite/templates/{template.relative_to(templates)}" in names
    static = Path(settings.BASE_DIR, "dreams", "static")
    for asset in (path for path in static.rglob("*") if path.is_file()):
        assert f"dreams/static/{asset.relative_to(static)}" in names
    for app in ("dreams", "engines", "setup_wizard"):
        assert f"{app}/migrations/0001_initial.py" in names
    top_level = {name.split("/")[0] for name in names}
    assert top_level == {"dreamsite", "dreams", "engines", "setup_wizard"} | {
        name for name in top_level if name.endswith(".dist-info")
    }
    assert not [name for name in names if "bench" in name]


def test_the_installed_wheel_migrates_and_renders_the_dashboard(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
         "--no-deps", "--no-index", str(wheel)],
        check=True, capture_output=True, timeout=300,
    )
    new_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    # After the wheel's own site-packages on the path; its .pth files (this checkout's
    # editable install among them) are not read.
    Path(new_site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {
        "PATH": os.pathsep.join(["/usr/bin", "/bin"]),
        "HOME": str(tmp_path / "home"),
        "DJANGO_SETTINGS_MODULE": "dreamsite.settings",
        "DREAMS_IGNORE_DOTENV": "true",
        "SECRET_KEY": "test-only-secret-key-for-the-wheel",
        "DREAMS_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'wheel.sqlite3'}",
        "DREAMS_LEGACY_CONFIG": str(tmp_path / "no-legacy-config.json"),
        "ALLOWED_HOSTS": "testserver",
    }
    child = subprocess.run(
        [str(python), "-c", CHILD, str(venv)],
        cwd=work, env=env, capture_output=True, text=True, timeout=300,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    result = json.loads(child.stdout.strip().splitlines()[-1])
    assert Path(result["dreams"]).resolve().is_relative_to(venv.resolve())
    assert result["status"] == 200
    assert result["title"] == "Dashboard · Dreams"
    assert result["stylesheet"].startswith("/static/dreams/")
    assert result["static_status"] == 200
    assert result["static_bytes"] > 0

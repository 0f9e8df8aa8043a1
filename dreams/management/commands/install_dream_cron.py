"""``manage.py install_dream_cron [--every N] [--apply]``: the crontab line for run_dream.

The line runs this project's own Python from the project directory under `flock -n`, so a
slow dream is never joined by a second process (the run lock would refuse it anyway, but
without waiting on the database); a check skipped that way leaves a line in the log. Cron
starts with an almost empty environment, so the settings this process has from its
environment (database, Redis, engine keys, DREAMS_*) are written to `var/cron.env`
(mode 0600, never printed) and the line loads them first: under cron it uses the same
database and engines as the process that printed it. With --apply it goes into the
current user's crontab, replacing an earlier line for this project and keeping every
other line.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
from argparse import ArgumentParser
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from dreamsite.commands import ProductCommand

MARKER = "# Dreams: scheduled dream runs (manage.py install_dream_cron)"
DEFAULT_EVERY = 5
CRONTAB_TIMEOUT_S = 10
# flock's exit status when another run holds the lock (EX_TEMPFAIL).
LOCKED_EXIT = 75
LOCKED_LINE = "Skipped: another dream run holds the lock (flock)."
# Besides the settings' own variables: where the CLI engines are found and logged in.
PROCESS_VARIABLES = ("PATH", "HOME", "DJANGO_SETTINGS_MODULE", "DREAMS_IGNORE_DOTENV")


def _quoted(path: Path | str) -> str:
    # In a crontab line an unescaped % ends the command.
    return shlex.quote(str(path)).replace("%", r"\%")


def settings_variables() -> list[str]:
    """The variables the settings read: those `.env.example` documents (a test keeps it
    complete), and the process's own."""
    example = (Path(settings.BASE_DIR) / ".env.example").read_text()
    documented = re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, re.MULTILINE)
    return sorted({*documented, *PROCESS_VARIABLES})


def write_cron_environment() -> Path:
    """This process's settings environment as a file the cron line loads, readable by its
    owner only (it may hold keys)."""
    path = Path(settings.VAR_DIR) / "cron.env"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        f"export {name}={shlex.quote(os.environ[name])}"
        for name in settings_variables()
        if name in os.environ
    ]
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as environment:
        environment.write("\n".join(lines) + "\n")
    path.chmod(0o600)
    return path


def cron_line(*, every: int, flock: str, environment: Path) -> str:
    base_dir, var_dir = Path(settings.BASE_DIR), Path(settings.VAR_DIR)
    log = _quoted(var_dir / "run_dream.log")
    stamp = r"$(date -u +\%Y-\%m-\%dT\%H:\%M:\%SZ)"
    return (
        f"*/{every} * * * * cd {_quoted(base_dir)} && . {_quoted(environment)} && "
        f"{{ {_quoted(flock)} -n -E {LOCKED_EXIT} {_quoted(var_dir / 'run_dream.lock')} "
        f"{_quoted(sys.executable)} manage.py run_dream --schedule-every {every} "
        f">> {log} 2>&1; [ $? -ne {LOCKED_EXIT} ] || echo \"{stamp} {LOCKED_LINE}\" >> {log}; }}"
    )


def _marker() -> str:
    # Per project directory, so two installations under one user keep their own lines.
    return f"{MARKER} {settings.BASE_DIR}"


def crontab_with(table: str, line: str) -> str:
    """`table` with this project's entry (marker and line) set to `line`; the rest kept."""
    kept: list[str] = []
    skip_next = False
    for existing in table.splitlines():
        if skip_next:
            skip_next = False
            if "run_dream" in existing:
                continue
        if existing == _marker():
            skip_next = True
            continue
        kept.append(existing)
    return "\n".join([*kept, _marker(), line]) + "\n"


def _crontab(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("crontab")
    if executable is None:
        raise CommandError(
            "crontab is not installed. Install cron (the `cron` or `cronie` package), or give "
            "your scheduler the line that this command prints without --apply."
        )
    try:
        return subprocess.run(  # noqa: S603 - a fixed command of ours
            [executable, *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=CRONTAB_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise CommandError(f"crontab could not be run: {error}") from None


def _current_crontab() -> str:
    listed = _crontab("-l")
    if listed.returncode == 0:
        return listed.stdout
    if "no crontab" in listed.stderr.lower():
        return ""
    raise CommandError(f"crontab -l failed: {listed.stderr.strip()}")


class Command(ProductCommand):
    help = "Print the crontab line that runs run_dream every few minutes; --apply installs it."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--every",
            type=int,
            default=DEFAULT_EVERY,
            help=f"Minutes between checks, 1 to 59 (default {DEFAULT_EVERY}).",
        )
        parser.add_argument(
            "--apply",
            action="store_true",
            help="Install it into this user's crontab (replacing an earlier Dreams line).",
        )

    def handle(self, *args: object, every: int, apply: bool, **options: object) -> None:
        if not 1 <= every <= 59:
            raise CommandError("--every is a number of minutes from 1 to 59.")
        flock = shutil.which("flock")
        if flock is None:
            raise CommandError(
                "flock is not installed; it keeps two dream runs from overlapping. Install "
                "util-linux (Debian, Ubuntu, Fedora) or the flock package, then try again."
            )
        line = cron_line(every=every, flock=flock, environment=write_cron_environment())
        if not apply:
            self.stdout.write(_marker())
            self.stdout.write(line)
            self.stdout.write(
                "Install it with --apply, or add it with `crontab -e`. It loads this "
                "process's settings (database, engines, keys) from var/cron.env, written "
                "now with mode 0600: run this command again after changing them."
            )
            return
        table = crontab_with(_current_crontab(), line)
        written = _crontab("-", stdin=table)
        if written.returncode != 0:
            raise CommandError(f"crontab could not be written: {written.stderr.strip()}")
        Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
        self.stdout.write(self.style.SUCCESS(f"Installed in your crontab:\n{line}"))
        self.stdout.write(
            f"Its output goes to {Path(settings.VAR_DIR) / 'run_dream.log'}; check it with "
            "`python manage.py dream_status`."
        )

"""``manage.py install_dream_cron [--every N] [--apply]``: the crontab line for run_dream.

The line runs this project's own Python from the project directory under `flock -n`, so a
slow dream is never joined by a second process (the run lock would refuse it anyway, but
without waiting on the database). With --apply it goes into the current user's crontab,
replacing an earlier line for this project and keeping every other line.
"""

import shlex
import shutil
import subprocess
import sys
from argparse import ArgumentParser
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

MARKER = "# Dreams: scheduled dream runs (manage.py install_dream_cron)"
DEFAULT_EVERY = 5
CRONTAB_TIMEOUT_S = 10


def _quoted(path: Path | str) -> str:
    # In a crontab line an unescaped % ends the command.
    return shlex.quote(str(path)).replace("%", r"\%")


def cron_line(*, every: int, flock: str) -> str:
    base_dir, var_dir = Path(settings.BASE_DIR), Path(settings.VAR_DIR)
    return (
        f"*/{every} * * * * cd {_quoted(base_dir)} && {_quoted(flock)} -n "
        f"{_quoted(var_dir / 'run_dream.lock')} {_quoted(sys.executable)} manage.py run_dream "
        f">> {_quoted(var_dir / 'run_dream.log')} 2>&1"
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


class Command(BaseCommand):
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
        line = cron_line(every=every, flock=flock)
        if not apply:
            self.stdout.write(_marker())
            self.stdout.write(line)
            self.stdout.write(
                "Install it with --apply, or add it with `crontab -e`. Cron starts with an "
                "almost empty environment: keep the settings in the project's .env."
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

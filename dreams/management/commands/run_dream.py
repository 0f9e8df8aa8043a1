"""``manage.py run_dream [--force] [--dry-run] [--json] [--schedule-every MINUTES]``: one
dream run, for cron or a person at a terminal.

With `--schedule-every N` (what the line of `install_dream_cron` passes) the run is
recorded with the trigger `schedule` and leaves a scheduler heartbeat that says a check
comes every N minutes; without it, the run is a person's (`cli`). A run the web queued
and no worker has taken yet is taken first.

Exit status, so cron and monitors can tell outcomes apart:

- 0: a dream was written (or, with --dry-run, would have been), or a normal skip: not due
  yet, not enough new moments, dreaming turned off, setup not finished (the line says to
  finish the setup wizard at /setup/);
- 3: another run holds the lock;
- 1: the run failed (engine not ready, timeout, invalid output, engine error);
- 4: the database, the disk or the configuration is not usable (one line says what to do:
  start the database, run migrate, free space...; dreams/management/base.py);
- 128 + the signal number (143 for SIGTERM, 130 for Ctrl-C): stopped by a signal. The run
  is marked as stopped and its lock released before the process exits.

On a terminal it shows the run's stage while it dreams; otherwise it prints plain lines
with a timestamp, fit for a log file.
"""

import json
import os
import signal
import sys
import threading
from argparse import ArgumentParser
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from types import FrameType

from django.core.management.base import CommandError, OutputWrapper
from django.db import DatabaseError, connection
from django.utils import timezone

from dreams.dream_run_data import dream_run_data
from dreams.models import DreamRun, RunReason, RunStage, RunStatus, SchedulerSource, Trigger
from dreams.processes import holder_name
from dreams.run_reasons import run_reason_copy
from dreams.selectors.dream_runs import dream_run_stage
from dreams.services.dream_runs import (
    RunInterrupted,
    dream_run_claim,
    dream_run_execute,
    dream_run_start,
)
from dreams.services.scheduler import scheduler_check
from dreamsite.commands import ProductCommand

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_LOCKED = 3
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
PROGRESS_INTERVAL_S = 0.5


def exit_code(run: DreamRun) -> int:
    if run.status in (RunStatus.WRITTEN, RunStatus.SKIPPED):
        return EXIT_LOCKED if run.reason == RunReason.ALREADY_RUNNING else EXIT_OK
    return EXIT_FAILED


class _Stopped(Exception):
    def __init__(self, signum: int, run: DreamRun | None) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.run = run


@contextmanager
def _signals_stop_the_run() -> Iterator[list[int]]:
    """SIGTERM and SIGINT raise RunInterrupted in this (the main) thread, so the service
    marks the run and releases the lock before the process goes down."""
    received: list[int] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        # A second signal must not cut short the cleanup the first one started.
        for name in STOP_SIGNALS:
            signal.signal(name, signal.SIG_IGN)
        raise RunInterrupted(signal.Signals(signum).name)

    previous = {name: signal.signal(name, stop) for name in STOP_SIGNALS}
    try:
        yield received
    finally:
        for name, handler in previous.items():
            signal.signal(name, handler)


class _Progress(threading.Thread):
    """The run's stage and elapsed time, redrawn in place, read from the database (the
    service records each stage there as it goes)."""

    def __init__(self, out: OutputWrapper, run: DreamRun) -> None:
        super().__init__(name=f"dream-run-{run.pk}-progress", daemon=True)
        self.out = out
        self.run_id = run.pk
        self.started_at = run.started_at
        self.done = threading.Event()

    def run(self) -> None:
        try:
            stage: str = RunStage.STARTING
            while not self.done.wait(PROGRESS_INTERVAL_S):
                with suppress(DatabaseError):  # a busy database only delays the display
                    stage = dream_run_stage(self.run_id) or stage
                elapsed = (timezone.now() - self.started_at).total_seconds()
                self.out.write(f"\r\033[K  {stage}... {elapsed:.0f} s", ending="")
                self.out.flush()
        finally:
            connection.close()  # this thread's own connection

    def __enter__(self) -> "_Progress":
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.done.set()
        self.join()
        self.out.write("\r\033[K", ending="")


class Command(ProductCommand):
    help = (
        "Dream now if a dream is due (or --force): for cron. Exit status 0 written or a normal "
        "skip, 3 another run holds the lock, 1 failed, 4 database or disk not usable, 128+N "
        "stopped by signal N."
    )

    # The system checks load every URL, view and API module: a cron tick pays for them every
    # few minutes and they find nothing a deploy's `manage.py check` would not.
    requires_system_checks: list[str] = []

    # Set by handle: whether to draw progress in place, and whether to print JSON only.
    interactive = False
    as_json = False
    stopped = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Dream even if no dream is due by the cadence."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Ask the engine, but write no review (the run record shows what it would be).",
        )
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print the run as one JSON object."
        )
        parser.add_argument(
            "--schedule-every",
            type=int,
            metavar="MINUTES",
            help="Called by a scheduler (cron) every MINUTES: recorded as a scheduled run, "
            "with a heartbeat that dream health reads.",
        )

    def handle(
        self,
        *args: object,
        force: bool,
        dry_run: bool,
        as_json: bool,
        schedule_every: int | None,
        **options: object,
    ) -> None:
        self.as_json = as_json
        self.interactive = self.stdout.isatty() and not as_json
        if schedule_every is not None and not 1 <= schedule_every <= 1440:
            raise CommandError("--schedule-every is a number of minutes from 1 to 1440.")
        if schedule_every is not None and (force or dry_run):
            raise CommandError(
                "--schedule-every is for a scheduler's checks: it goes with neither --force "
                "nor --dry-run."
            )
        try:
            run = self._run(force=force, dry_run=dry_run, schedule_every=schedule_every)
        except _Stopped as stopped:
            self.stopped = True
            if stopped.run is not None:
                self._report(stopped.run, _stopped_line(stopped), error=True)
            else:
                self._say(self.stderr, _stopped_line(stopped))
            sys.exit(128 + stopped.signum)
        code = exit_code(run)
        self._report(run, _summary(run), error=code != EXIT_OK)
        if code != EXIT_OK:
            sys.exit(code)

    def run_from_argv(self, argv: list[str]) -> None:
        try:
            super().run_from_argv(argv)
        except SystemExit as leaving:
            if not self.stopped:
                raise
            # The engine call goes on in a worker thread that cannot be cancelled, and a
            # normal exit would wait for it; the run is already marked and the lock free.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(leaving.code if isinstance(leaving.code, int) else EXIT_FAILED)

    def _run(self, *, force: bool, dry_run: bool, schedule_every: int | None) -> DreamRun:
        run: DreamRun | None = None
        with _signals_stop_the_run() as received:
            try:
                run = _start(force=force, dry_run=dry_run, schedule_every=schedule_every)
                if run.status != RunStatus.RUNNING:
                    return run
                if not self.as_json:
                    self._say(self.stdout, _started(run))
                with _Progress(self.stdout, run) if self.interactive else nullcontext():
                    return dream_run_execute(run)
            except RunInterrupted:
                raise _Stopped(received[0], run) from None

    def _report(self, run: DreamRun, line: str, *, error: bool) -> None:
        if self.as_json:
            self.stdout.write(json.dumps(dream_run_data(run)))
        else:
            self._say(self.stderr if error else self.stdout, line)

    def _say(self, out: OutputWrapper, line: str) -> None:
        if not self.interactive:
            line = f"{timezone.now():%Y-%m-%dT%H:%M:%SZ} {line}"
        out.write(line)


def _start(*, force: bool, dry_run: bool, schedule_every: int | None) -> DreamRun:
    """The run the web queued, if any (it holds the lock, so it goes first); else a
    scheduler's check, or a person's run."""
    claimed = dream_run_claim(holder=holder_name())
    if claimed is not None:
        return claimed
    if schedule_every is not None:
        return scheduler_check(source=SchedulerSource.CRON, interval_s=schedule_every * 60)
    return dream_run_start(trigger=Trigger.CLI, force=force, dry_run=dry_run)


def _stopped_line(stopped: _Stopped) -> str:
    name = signal.Signals(stopped.signum).name
    if stopped.run is None:
        return f"Stopped by {name} before a run started."
    return (
        f"Dream run {stopped.run.pk} was stopped by {name}: it is marked "
        f"{stopped.run.status} and the lock is free."
    )


def _started(run: DreamRun) -> str:
    kind = "dry run " if run.dry_run else ""
    return f"Dream run {run.pk} ({kind}{run.engine}) started with {run.material_count} new moments."


def _summary(run: DreamRun) -> str:
    if run.pk is None:  # a scheduler's routine check: its heartbeat is the record
        detail = f" {run.detail}" if run.detail else ""
        return f"Checked the schedule: {_in_sentence(run_reason_copy(run.reason))}{detail}"
    took = f"{run.duration_ms / 1000:.1f} s" if run.duration_ms else ""
    if run.status == RunStatus.WRITTEN:
        if run.dry_run:
            title = run.outcome.get("title", "")
            outcome = f'would have written "{title}" (dry run: nothing was saved)'
        else:
            outcome = f"wrote dream review {run.review_id}"
        line = f"Dream run {run.pk} {outcome}{f' in {took}' if took else ''}."
    else:
        # The reason's copy, as the dashboard and the admin say it (dreams.run_reasons).
        line = f"Dream run {run.pk} {run.status}: {_in_sentence(run_reason_copy(run.reason))}"
        line += f" Took {took}." if took else ""
    if run.material_count and run.status != RunStatus.SKIPPED:
        line += f" {run.material_count} moments, engine {run.engine}."
    if run.detail:
        line += f" {run.detail}"
    for warning in run.warnings:
        line += f"\n  Warning: {warning}"
    return line


def _in_sentence(copy: str) -> str:
    # "Not due yet. ..." continues "Dream run 5 skipped: not due yet. ...".
    return copy[:1].lower() + copy[1:]

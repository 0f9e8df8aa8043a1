"""``manage.py dream_status [--json] [--runs N]``: dream health, the last runs, the next dream."""

import json
from argparse import ArgumentParser
from datetime import datetime

from django.core.management.base import CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from dreams.dream_run_data import dream_run_data
from dreams.models import DreamRun, DreamSettings
from dreams.selectors.dream_runs import dream_run_active, dream_run_history, new_moment_count
from dreams.selectors.health import HealthStatus, dream_health
from dreamsite.commands import ProductCommand

DEFAULT_RUNS = 10


class Command(ProductCommand):
    help = "Dream health with its fix hint, the last runs, and when the next dream is due."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print JSON.")
        parser.add_argument(
            "--runs",
            type=int,
            default=DEFAULT_RUNS,
            help=f"How many of the last runs to show (default {DEFAULT_RUNS}).",
        )

    def handle(self, *args: object, as_json: bool, runs: int, **options: object) -> None:
        if runs < 0:
            raise CommandError("--runs cannot be negative.")
        now = timezone.now()
        dream_settings = DreamSettings.load()
        health = dream_health(now=now)
        status = {
            "health": {
                "status": health.status,
                "label": health.label,
                "fix_hint": health.fix_hint,
            },
            "enabled": dream_settings.enabled,
            "time_zone": dream_settings.time_zone,
            "due_now": health.due_now,
            "next_due_at": health.next_due_at,
            "last_written_at": health.last_written_at,
            "new_moments": new_moment_count(),
            "min_new_moments": dream_settings.min_new_moments,
            "running_run_id": active.pk if (active := dream_run_active()) else None,
        }
        recent = list(dream_run_history()[:runs])
        if as_json:
            status["runs"] = [dream_run_data(run) for run in recent]
            self.stdout.write(json.dumps(status, cls=DjangoJSONEncoder))
            return
        self._print(status, recent, dream_settings)

    def _print(self, status: dict, recent: list[DreamRun], dream_settings: DreamSettings) -> None:
        health = status["health"]
        style = self.style.SUCCESS if health["status"] == HealthStatus.HEALTHY else self.style.ERROR
        self.stdout.write(f"Dream health: {style(health['label'])} ({health['status']})")
        if health["fix_hint"]:
            self.stdout.write(f"  {health['fix_hint']}")
        if not status["enabled"]:
            next_dream = "never: dreaming is turned off"
        elif status["due_now"]:
            next_dream = "due now, at the next scheduled run (given enough new moments)"
        else:
            next_dream = _local(status["next_due_at"], dream_settings)
        self.stdout.write(f"Next dream: {next_dream}")
        self.stdout.write(
            f"New moments since the last dream: {status['new_moments']} "
            f"({status['min_new_moments']} needed)"
        )
        last = status["last_written_at"]
        self.stdout.write(
            f"Last dream written: {_local(last, dream_settings) if last else 'never'}"
        )
        if status["running_run_id"]:
            self.stdout.write(f"Running now: dream run {status['running_run_id']}")
        if not recent:
            self.stdout.write("No runs yet.")
            return
        self.stdout.write("")
        self.stdout.write(
            f"Last runs (times in {dream_settings.time_zone}; not-due checks left out):"
        )
        self.stdout.write(
            f"{'run':>6}  {'started':<16}  {'trigger':<9}  {'status':<9}  {'reason':<16}  "
            f"{'moments':>7}  {'review':>6}  {'took':>7}"
        )
        for run in recent:
            took = f"{run.duration_ms / 1000:.1f} s" if run.duration_ms is not None else "-"
            self.stdout.write(
                f"{run.pk:>6}  {run.started_at.astimezone(dream_settings.zone):%Y-%m-%d %H:%M}  "
                f"{run.trigger:<9}  {run.status:<9}  {run.reason or '-':<16}  "
                f"{run.material_count:>7}  {run.review_id or '-':>6}  {took:>7}"
            )


def _local(moment: datetime, dream_settings: DreamSettings) -> str:
    return f"{moment.astimezone(dream_settings.zone):%Y-%m-%d %H:%M} {dream_settings.time_zone}"

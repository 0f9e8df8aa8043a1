"""The dream run benchmark: one forced run with the offline engine over N new moments,
against a baseline run over fewer moments, to show how the run scales.

The operator's data is never touched: every step runs in a child process (`manage.py
bench_dream --step ...`) whose DATABASE_URL is a scratch SQLite file in a temporary
directory, or an empty database the operator names. Each measured run gets a fresh process,
so the peak memory reported is that run's own.

Peak memory is the process's peak resident set (ru_maxrss). tracemalloc would count Python
objects exactly, but it makes the run about three times slower, and time is the figure
this benchmark exists for.
"""

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from dreams.models import DreamSettings, MindMoment, RunStatus, Trigger
from dreams.services.dream_runs import run_dream
from dreams.services.seeding import moments_seed
from engines.models import SelectionSource
from engines.registry import EngineId
from engines.selection import engine_select, selected_engine

TARGET_S = 10.0
DEFAULT_COUNT = 10_000
BASELINE_COUNT = 1_000
# Seeding and a run at the largest size take seconds; this only catches a hung child.
STEP_TIMEOUT_S = 600


class Step(StrEnum):
    SETUP = "setup"
    SEED = "seed"
    RUN = "run"


class BenchError(Exception):
    """A step failed; the message says which and how."""


@dataclass(frozen=True)
class RunFigures:
    moments: int
    wall_s: float
    engine_s: float
    # Importing the engine's libraries, once per process; not part of wall_s.
    engine_load_s: float
    rss_before_mb: float
    peak_rss_mb: float

    @property
    def engine_share(self) -> float:
        return self.engine_s / self.wall_s if self.wall_s else 0.0


@dataclass(frozen=True)
class BenchReport:
    database: str
    baseline: RunFigures
    measured: RunFigures

    @property
    def passed(self) -> bool:
        return self.measured.wall_s < TARGET_S

    @property
    def time_ratio(self) -> float:
        return self.measured.wall_s / self.baseline.wall_s


def dream_bench(*, count: int, baseline: int, database_url: str | None = None) -> BenchReport:
    """Seed `baseline` moments and dream them, then `count` more and dream those, each step
    in a child process against a scratch database (or `database_url`, which must be empty)."""
    with tempfile.TemporaryDirectory(prefix="dreams-bench-") as scratch:
        env = {
            **os.environ,
            "DATABASE_URL": database_url or f"sqlite:///{scratch}/bench.sqlite3",
            "DREAMS_VAR_DIR": scratch,
        }
        database = _step(env, Step.SETUP)["database"]
        _step(env, Step.SEED, baseline)
        baseline_figures = RunFigures(**_step(env, Step.RUN))
        _step(env, Step.SEED, count)
        measured = RunFigures(**_step(env, Step.RUN))
    return BenchReport(database, baseline_figures, measured)


def _step(env: dict[str, str], step: Step, count: int = 0) -> dict:
    argv = [sys.executable, "manage.py", "bench_dream", "--step", step, "--count", str(count)]
    try:
        done = subprocess.run(  # noqa: S603 - our own manage.py with our own arguments
            argv,
            env=env,
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"the {step} step took more than {STEP_TIMEOUT_S} s") from None
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise BenchError(f"the {step} step failed:\n{tail}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- The steps, each run in a child process against the bench database ----------------


def bench_step(step: Step, *, count: int) -> dict:
    if step is Step.SETUP:
        return _setup()
    if step is Step.SEED:
        return _seed(count)
    return _run()


def _setup() -> dict:
    call_command("migrate", verbosity=0, interactive=False)
    if MindMoment.objects.exists():
        raise BenchError("the bench database already holds mind moments; give it an empty one")
    engine_select(engine=EngineId.OFFLINE, source=SelectionSource.CLI, actor="bench_dream")
    return {"database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]}


def _seed(count: int) -> dict:
    moments_seed(count=count)
    # Every new moment is material: the run consolidates all of them.
    DreamSettings.objects.update_or_create(
        pk=DreamSettings.SINGLETON_ID,
        defaults={
            "enabled": True,
            "min_new_moments": 1,
            "max_material": count,
            "setup_completed_at": timezone.now(),
        },
    )
    return {"seeded": count}


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Kilobytes on Linux, bytes on macOS.
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def _run() -> dict:
    started = time.perf_counter()
    selected_engine()  # imports the engine's libraries, as any long-lived process has
    engine_load_s = time.perf_counter() - started
    rss_before_mb = _peak_rss_mb()
    started = time.perf_counter()
    run = run_dream(trigger=Trigger.CLI, force=True)
    wall_s = time.perf_counter() - started
    if run.status != RunStatus.WRITTEN:
        raise BenchError(f"the run was {run.status} ({run.reason}): {run.detail}")
    return {
        "moments": run.material_count,
        "wall_s": wall_s,
        "engine_s": (run.review.moment.processing_ms or 0) / 1000,
        "engine_load_s": engine_load_s,
        "rss_before_mb": rss_before_mb,
        "peak_rss_mb": _peak_rss_mb(),
    }

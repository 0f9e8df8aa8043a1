"""A cron tick stays cheap: `run_dream --schedule-every` that only records a check loads no
engine SDK, no numpy, scipy or scikit-learn, no DRF serializers or views and no ASGI server
(the benchmark, `python benchmarks/cron_tick.py`, prints the time and memory too)."""

import importlib.util
import subprocess
import sys
from pathlib import Path

from django.conf import settings


def _benchmark():
    path = Path(settings.BASE_DIR) / "benchmarks" / "cron_tick.py"
    spec = importlib.util.spec_from_file_location("cron_tick", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _migrated_env(bench, tmp_path: Path) -> dict[str, str]:
    env = bench.child_env(str(tmp_path))
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=settings.BASE_DIR, env=env, check=True,
    )
    return env


def test_a_scheduler_check_that_skips_imports_nothing_heavy(tmp_path):
    bench = _benchmark()
    _, _, loaded, last_line = bench.measure(bench.TICK, _migrated_env(bench, tmp_path))
    assert "Checked the schedule: not configured." in last_line
    assert loaded == []


def test_the_check_of_forbidden_modules_sees_a_heavy_import(tmp_path):
    bench = _benchmark()
    # The dream service (numpy and scipy in the offline engine's clustering) is heavy.
    _, _, loaded, _ = bench.measure(
        ["bench_dream", "--count", "30", "--baseline", "10"], _migrated_env(bench, tmp_path)
    )
    assert "numpy" in loaded

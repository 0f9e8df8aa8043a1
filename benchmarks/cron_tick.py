"""What a cron tick costs: peak memory and wall time of `run_dream` recording a skip, and
of `manage.py version`, with the heavy modules each one imported.

    python benchmarks/cron_tick.py [--runs N]

Each figure is the median of N fresh child processes (peak RSS from the child's own
`resource.getrusage`, wall time around the whole process). It runs against a throwaway
SQLite database in a temporary directory, with settings from the environment only, so it
measures the product, not this machine's .env. Kept outside the product's import path.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RSS_MB = 120
TARGET_WALL_S = 0.8
TICK = ["run_dream", "--schedule-every", "5"]
SLOT_DREAMT = [
    ["seed_moments", "--count", "20"],
    ["dream_settings", "--finish-setup"],
    ["run_dream", "--force"],
]
# Modules a skip must not import: engine SDKs, the science stack, DRF's serializers, views
# and schema machinery, ASGI servers. (The `rest_framework` and `drf_spectacular`
# packages themselves are installed apps, which Django loads at start: a few modules.)
FORBIDDEN = (
    "anthropic", "openai", "httpx", "sklearn", "scipy", "numpy",
    "rest_framework.serializers", "rest_framework.views", "drf_spectacular.openapi",
    "daphne", "twisted", "autobahn",
)

# Runs manage.py in this child, then reports its peak RSS and the forbidden modules it
# loaded, even when the command exits through SystemExit.
CHILD = """
import json, resource, sys
sys.argv = ["manage.py", *json.loads(sys.argv[1])]
sys.path.insert(0, {root!r})
try:
    import runpy
    runpy.run_path({manage!r}, run_name="__main__")
except SystemExit:
    pass
finally:
    loaded = sorted(
        f for f in {forbidden!r} if any(m == f or m.startswith(f + ".") for m in sys.modules)
    )
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("\\n__BENCH__" + json.dumps({{"rss_mb": rss_kb / 1024, "loaded": loaded}}))
"""


def child_env(var_dir: str) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "TMPDIR")
    return {
        **{name: os.environ[name] for name in keep if name in os.environ},
        "DJANGO_SETTINGS_MODULE": "dreamsite.settings",
        "DREAMS_IGNORE_DOTENV": "1",
        "DREAMS_VAR_DIR": var_dir,
        "SECRET_KEY": "benchmark-only-key-" + "x" * 40,
        "DEBUG": "false",
    }


def measure(args: list[str], env: dict[str, str]) -> tuple[float, float, list[str], str]:
    code = CHILD.format(root=str(ROOT), manage=str(ROOT / "manage.py"), forbidden=FORBIDDEN)
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", code, json.dumps(args)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    wall = time.perf_counter() - started
    marker = done.stdout.rpartition("__BENCH__")[2]
    report = json.loads(marker)
    output = done.stdout.partition("\n__BENCH__")[0].strip().splitlines()
    return wall, report["rss_mb"], report["loaded"], (output[-1] if output else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="dreams-bench-") as var_dir:
        env = child_env(var_dir)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT, env=env, check=True,
        )
        cases = {
            "run_dream --schedule-every 5 (skip: setup not finished)": (TICK, []),
            # What cron meets almost every time: the slot already has its dream.
            "run_dream --schedule-every 5 (skip: not due)": (TICK, SLOT_DREAMT),
            "manage.py version": (["version"], []),
        }
        failed = False
        for label, (args, preparation) in cases.items():
            for step in preparation:
                subprocess.run(  # noqa: S603 - our own interpreter and manage.py
                    [sys.executable, "manage.py", *step],
                    cwd=ROOT, env=env, check=True, capture_output=True,
                )
            measure(args, env)  # warm the file cache and .pyc files
            samples = [measure(args, env) for _ in range(runs)]
            wall = statistics.median(s[0] for s in samples)
            rss = statistics.median(s[1] for s in samples)
            loaded = sorted({m for s in samples for m in s[2]})
            ok = wall <= TARGET_WALL_S and rss <= TARGET_RSS_MB and not loaded
            failed |= not ok and args == TICK
            print(f"{label}: {wall:.2f} s wall, {rss:.0f} MB peak RSS (median of {runs})")
            print(f"  forbidden modules imported: {', '.join(loaded) or 'none'}")
            print(f"  last line: {samples[-1][3]}")
        print(f"targets for the skip: <= {TARGET_WALL_S} s, <= {TARGET_RSS_MB} MB, none imported")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

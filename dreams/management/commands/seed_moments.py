import sys
import time
from argparse import ArgumentParser

from django.core.management.base import CommandError

from dreams.selectors.moments import moments_exist
from dreams.services.seeding import moments_seed
from dreamsite.commands import ProductCommand


class Command(ProductCommand):
    help = "Add deterministic demo mind moments (varied sigils, a spread of emotions, percepts)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--count", type=int, default=200, help="How many moments (default 200)."
        )
        parser.add_argument("--seed", type=int, default=0, help="Same seed, same moments.")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Only seed when the database holds no mind moments yet.",
        )

    def handle(
        self, *args: object, count: int, seed: int, if_empty: bool, **options: object
    ) -> None:
        if count < 1:
            raise CommandError("--count must be at least 1.")
        if if_empty and moments_exist():
            self.stdout.write("Mind moments already exist; not seeding.")
            return
        started = time.monotonic()
        interactive = sys.stdout.isatty()

        def report(done: int) -> None:
            if interactive:
                self.stdout.write(f"\r  {done:,} / {count:,} moments", ending="")
                self.stdout.flush()

        written = moments_seed(count=count, seed=seed, on_progress=report)
        if interactive:
            self.stdout.write("")
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(f"Seeded {written:,} mind moments in {elapsed:.1f} s (seed {seed}).")
        )

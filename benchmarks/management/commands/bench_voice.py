"""``manage.py bench_voice [--moments N] [--reviews N] [--seed S]``: the offline engine's
voice read over a fixed-seed corpus of moments and dream reviews (``benchmarks.voice_corpus``).
"""

from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from benchmarks.voice_corpus import (
    CHIP_PX,
    MOMENTS,
    REVIEWS,
    SEED,
    Spread,
    Tally,
    VoiceFigures,
    run_corpus,
)


class Command(BaseCommand):
    help = (
        f"Write {MOMENTS:,} moments and {REVIEWS} dream reviews with the offline engine from "
        "a fixed seed and count what a reader would notice: a/an errors, repeated sentences, "
        "duplicate citations and names within a theme, described sounds quoted as speech, and "
        f"each sigil's ink coverage, stroke count and span at {CHIP_PX} px."
    )
    # Pure computation without the database: system checks would only add noise.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--moments", type=int, default=MOMENTS)
        parser.add_argument("--reviews", type=int, default=REVIEWS)
        parser.add_argument("--seed", type=int, default=SEED)

    def handle(
        self, *args: object, moments: int, reviews: int, seed: int, **options: object
    ) -> None:
        if moments < 1 or reviews < 2:
            raise CommandError("--moments must be at least 1 and --reviews at least 2")
        figures = run_corpus(moments=moments, reviews=reviews, seed=seed)
        self._report(figures, seed)

    def _report(self, figures: VoiceFigures, seed: int) -> None:
        self.stdout.write(
            f"Offline voice corpus, seed {seed}: {figures.moments:,} moments from "
            f"{figures.percepts:,} percepts; {figures.reviews} dream reviews "
            f"({figures.reviews - figures.seeded_reviews} over those moments, "
            f"{figures.seeded_reviews} over the demo's seeded moments)."
        )
        self.stdout.write(f"\n{'check':<58}{'found':>7}  in")
        rows: list[tuple[str, Tally, str]] = [
            ("a/an errors in moments", figures.article_moments, "moments"),
            ("a/an errors in seeded demo moments", figures.article_seeded, "seeded moments"),
            (
                "a/an errors in reviews (title, narrative, themes)",
                figures.article_reviews,
                "reviews",
            ),
            ("repeated sentences within a moment", figures.repeated_moments, "moments"),
            ("repeated sentences within a narrative", figures.repeated_narratives, "narratives"),
            (
                "near-repeated sentences within a narrative",
                figures.near_repeat_narratives,
                "narratives",
            ),
            ("duplicate citations within a theme", figures.duplicate_citations, "themes"),
            (
                "duplicate names (sigil phrases) within a theme",
                figures.duplicate_cited_names,
                "themes",
            ),
            ("themes of one review with the same name", figures.duplicate_theme_names, "reviews"),
            ("described sounds quoted as speech", figures.sounds_quoted, "described sounds"),
            ("speech written as a sound", figures.speech_as_sound, "speech transcripts"),
        ]
        for label, tally, unit in rows:
            self.stdout.write(f"{label:<58}{tally.found:>7}  {tally.checked:,} {unit}")
        self.stdout.write(f"\n{f'sigils at {CHIP_PX} px':<38}{'min':>8}{'median':>9}{'max':>8}")
        for kind, sigils in (("moment", figures.moment_sigils), ("dream", figures.dream_sigils)):
            measures: list[tuple[str, list[float], int]] = [
                ("ink coverage (%)", [100 * sigil.coverage for sigil in sigils], 1),
                ("strokes", [float(sigil.strokes) for sigil in sigils], 0),
                ("span (% of the chip)", [100 * sigil.span for sigil in sigils], 0),
            ]
            for measure, values, digits in measures:
                spread = Spread.of(values)
                self.stdout.write(
                    f"{f'{kind} sigils: {measure}':<38}{spread.low:>8.{digits}f}"
                    f"{spread.median:>9.{digits}f}{spread.high:>8.{digits}f}"
                )
        examples = [(label, tally.examples) for label, tally, _ in rows if tally.examples]
        if examples:
            self.stdout.write("\nFor example:")
        for label, found in examples:
            for example in found:
                self.stdout.write(f"  {label}: {example}")

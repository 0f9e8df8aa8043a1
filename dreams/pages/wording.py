"""How the pages say the things they share: an engine's name, how long a step took."""

from engines.registry import engine_spec

# The engine name the demo seed writes (dreams.services.seeding.SEED_ENGINE; pages do not
# import services).
SEED_ENGINE = "seed"


def engine_label(engine_id: str) -> str:
    if engine_id == SEED_ENGINE:
        return "Demo seed"
    spec = engine_spec(engine_id)
    return spec.label if spec else engine_id


def duration_copy(duration_ms: int | None) -> str:
    """A duration as people say it: "850 ms", "4.2 s", "3 min 5 s"; "" when unknown."""
    if duration_ms is None:
        return ""
    if duration_ms < 1_000:
        return f"{duration_ms} ms"
    if duration_ms < 60_000:
        return f"{duration_ms / 1_000:.1f} s"
    minutes, seconds = divmod(round(duration_ms / 1_000), 60)
    return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"

"""How the pages say the things they share: how long a step took. (An engine's name is
said everywhere, the dashboard and the admin too, by dreams.templatetags.engine_names.)"""


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

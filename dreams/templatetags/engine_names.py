"""An engine as people read it, wherever they read it: `{% load engine_names %}`, then
`{{ run.engine|engine_label }}` ("Offline (built in)", "Demo seed"); the admin and the pages'
views call `engine_label` itself."""

from django import template

from engines.registry import engine_spec

register = template.Library()

# The engine name the demo seed writes (dreams.services.seeding.SEED_ENGINE; the pages'
# wording does not import services).
SEED_ENGINE = "seed"


@register.filter
def engine_label(engine_id: str) -> str:
    """The engine's label; an id no longer in the registry is shown as it was stored."""
    if engine_id == SEED_ENGINE:
        return "Demo seed"
    spec = engine_spec(engine_id)
    return spec.label if spec else engine_id

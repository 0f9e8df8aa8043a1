"""Where a mind moment's sigil images are served: shared by the API, the admin and the
conductor's events, and kept apart from the API so that none of them imports DRF for it."""

from django.urls import reverse

from dreams.models import MindMoment


def sigil_image_urls(moment: MindMoment) -> dict[str, str] | None:
    if not moment.has_sigil:
        return None
    return {
        "svg": reverse("moment-sigil-svg", args=[moment.pk]),
        "png": reverse("moment-sigil-png", args=[moment.pk]),
        "sdf": reverse("moment-sdf-png", args=[moment.pk]),
    }

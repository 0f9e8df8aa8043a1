"""What every page needs to know about the visitor: may they change things?"""

from django.conf import settings
from django.http import HttpRequest

from dreamsite.control import PUBLIC_DEMO_COPY


def site(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    public_demo = settings.DREAMS_PUBLIC_DEMO
    return {
        "public_demo": public_demo,
        "public_demo_copy": PUBLIC_DEMO_COPY,
        # Pages show controls only to those the control endpoints would accept.
        "can_control": bool(user and user.is_active and user.is_staff and not public_demo),
    }

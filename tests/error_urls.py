"""The site's URLs plus views that fail, for tests/test_error_pages.py."""

from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.urls import path

from dreamsite.urls import handler404, handler500
from dreamsite.urls import urlpatterns as site_urlpatterns

FAULT_DETAIL = "fault-detail-/srv/dreams/var/secret settings.SECRET_KEY"


def raises_an_error(request):
    raise RuntimeError(FAULT_DETAIL)


def loses_the_database(request):
    raise OperationalError(f"could not connect to server: {FAULT_DETAIL}")


def refuses(request):
    # As the admin refuses: no message (403.html shows a refusal's copy when it has one).
    raise PermissionDenied


urlpatterns = [
    *site_urlpatterns,
    path("test-errors/raises/", raises_an_error),
    path("test-errors/database-down/", loses_the_database),
    path("test-errors/refuses/", refuses),
    path("api/test-errors/raises/", raises_an_error),
]

__all__ = ["handler404", "handler500", "urlpatterns"]

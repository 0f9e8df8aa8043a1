from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

import dreams.converters  # noqa: F401 - registers <id:...>
from dreams.pages.dreams import dream_list, dream_page
from dreams.pages.history import moment_history
from dreams.pages.moments import moment_page
from dreams.pages.personality import personality_activate_page, personality_page
from dreams.views import home, observe, perceive

urlpatterns = [
    path("", home, name="home"),
    path("observe/", observe, name="observe"),
    path("perceive/", perceive, name="perceive"),
    path("moments/", moment_history, name="moment-history"),
    path("moments/<id:pk>/", moment_page, name="moment-page"),
    path("dreams/", dream_list, name="dream-list"),
    path("dreams/<id:pk>/", dream_page, name="dream-page"),
    path("personality/", personality_page, name="personality"),
    path(
        "personality/<id:pk>/activate/",
        personality_activate_page,
        name="personality-activate",
    ),
    path("setup/", include("setup_wizard.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("dreams.urls")),
    path("api/", include("engines.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    # Browsers ask for it on pages that name no icon (the admin's).
    path("favicon.ico", RedirectView.as_view(url=f"{settings.STATIC_URL}dreams/favicon.svg")),
]

# The site's own 404 and 500 pages, and short JSON for paths under /api/ (400 and 403 are
# Django's views with templates/400.html and 403.html).
handler404 = "dreamsite.errors.page_not_found"
handler500 = "dreamsite.errors.server_error"

from django.urls import path

import dreams.converters  # noqa: F401 - registers <id:...>
from dreams.apis import analytics, dream_runs, dream_settings, moments, personalities

urlpatterns = [
    path("moments/", moments.MomentListApi.as_view(), name="moment-list"),
    path("moments/<id:pk>/", moments.MomentDetailApi.as_view(), name="moment-detail"),
    path("moments/<id:pk>/sigil.svg", moments.SigilSvgApi.as_view(), name="moment-sigil-svg"),
    path("moments/<id:pk>/sigil.png", moments.SigilPngApi.as_view(), name="moment-sigil-png"),
    path("moments/<id:pk>/sdf.png", moments.SdfPngApi.as_view(), name="moment-sdf-png"),
    path("dream/runs/", dream_runs.DreamRunListCreateApi.as_view(), name="dream-run-list"),
    path("dream/runs/<id:pk>/", dream_runs.DreamRunDetailApi.as_view(), name="dream-run-detail"),
    path("dream/health/", dream_runs.DreamHealthApi.as_view(), name="dream-health"),
    path("settings/", dream_settings.DreamSettingsApi.as_view(), name="dream-settings"),
    path(
        "personalities/",
        personalities.PersonalityListCreateApi.as_view(),
        name="personality-list",
    ),
    path(
        "personalities/<id:pk>/",
        personalities.PersonalityDetailApi.as_view(),
        name="personality-detail",
    ),
    path(
        "personalities/<id:pk>/activate/",
        personalities.PersonalityActivateApi.as_view(),
        name="personality-activate-api",
    ),
    path(
        "analytics/resurfacing/",
        analytics.ResurfacingApi.as_view(),
        name="resurfacing-analytics",
    ),
    path("dream/reviews/", dream_runs.DreamReviewListApi.as_view(), name="dream-review-list"),
    path(
        "dream/reviews/latest/",
        dream_runs.LatestDreamReviewApi.as_view(),
        name="dream-review-latest",
    ),
    path(
        "dream/reviews/<id:pk>/",
        dream_runs.DreamReviewDetailApi.as_view(),
        name="dream-review-detail",
    ),
]

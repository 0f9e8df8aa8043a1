from django.urls import path, register_converter

from dreams import apis
from dreams.converters import DatabaseIdConverter

register_converter(DatabaseIdConverter, "id")

urlpatterns = [
    path("moments/", apis.MomentListApi.as_view(), name="moment-list"),
    path("moments/<id:pk>/", apis.MomentDetailApi.as_view(), name="moment-detail"),
    path("moments/<id:pk>/sigil.svg", apis.SigilSvgApi.as_view(), name="moment-sigil-svg"),
    path("moments/<id:pk>/sigil.png", apis.SigilPngApi.as_view(), name="moment-sigil-png"),
    path("moments/<id:pk>/sdf.png", apis.SdfPngApi.as_view(), name="moment-sdf-png"),
    path("dream/runs/", apis.DreamRunListCreateApi.as_view(), name="dream-run-list"),
    path("dream/runs/<id:pk>/", apis.DreamRunDetailApi.as_view(), name="dream-run-detail"),
    path("dream/health/", apis.DreamHealthApi.as_view(), name="dream-health"),
    path("settings/", apis.DreamSettingsApi.as_view(), name="dream-settings"),
    path("dream/reviews/", apis.DreamReviewListApi.as_view(), name="dream-review-list"),
    path("dream/reviews/latest/", apis.LatestDreamReviewApi.as_view(), name="dream-review-latest"),
    path("dream/reviews/<id:pk>/", apis.DreamReviewDetailApi.as_view(), name="dream-review-detail"),
]

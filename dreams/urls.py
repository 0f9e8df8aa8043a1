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
]

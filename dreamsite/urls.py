from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from dreams.views import home, observe, perceive

urlpatterns = [
    path("", home, name="home"),
    path("observe/", observe, name="observe"),
    path("perceive/", perceive, name="perceive"),
    path("setup/", include("setup_wizard.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("dreams.urls")),
    path("api/", include("engines.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

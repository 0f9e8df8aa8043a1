from django.urls import path

from engines import apis

urlpatterns = [
    path("engines/", apis.EngineListApi.as_view(), name="engine-list"),
    path("engines/selection/", apis.EngineSelectionApi.as_view(), name="engine-selection"),
]

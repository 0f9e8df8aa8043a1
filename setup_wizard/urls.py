from django.urls import path

from setup_wizard import views

app_name = "setup_wizard"

urlpatterns = [
    path("", views.wizard, name="wizard"),
    path("restart/", views.restart, name="restart"),
    path("<slug:name>/", views.step, name="step"),
]

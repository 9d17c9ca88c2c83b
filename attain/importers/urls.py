"""URLs of the upload page and import runs (included from config/urls.py under /imports/)."""

from django.urls import path

from attain.importers import views

app_name = "importers"

urlpatterns = [
    path("", views.run_list, name="run_list"),
    path("new/", views.upload_new, name="upload_new"),
    path("new/<str:token>/", views.upload_preview, name="upload_preview"),
    path("quality/", views.quality_panel, name="quality_panel"),
    path("<int:run_id>/", views.run_detail, name="run_detail"),
]

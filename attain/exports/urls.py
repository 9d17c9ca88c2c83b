"""URLs of exports."""

from django.urls import path

from attain.exports import views

urlpatterns = [
    path("export/<str:kind>.<str:fmt>", views.export_download, name="export"),
]

"""Top-level URL map: the admin and the web app."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("attain.web.urls")),
    path("", include("attain.exports.urls")),
    path("imports/", include("attain.importers.urls")),
]

"""Top-level URL map: the admin, the dashboards ("/" is the viewer's home) and the web shell."""

from django.contrib import admin
from django.urls import include, path

from attain.dashboards.views.home import home

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", home, name="home"),
    path("", include("attain.dashboards.urls")),
    path("", include("attain.web.urls")),
    path("", include("attain.exports.urls")),
    path("imports/", include("attain.importers.urls")),
]

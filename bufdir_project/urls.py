from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from activities.dashboard import dashboard
from bufdir_project import health
from bufdir_project.login_limit import admin_login

urlpatterns = [
    path("admin/dashboard/", dashboard, name="dashboard"),
    path("admin/login/", admin_login),  # admin's own login, rate limited (before admin.site.urls)
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("", include("activities.urls")),
    path("", include("aggregations.urls")),
    path("", include("record_counts.urls")),
]

handler400 = "bufdir_project.api.exceptions.handler400"
handler403 = "bufdir_project.api.exceptions.handler403"
handler404 = "bufdir_project.api.exceptions.handler404"
handler500 = "bufdir_project.api.exceptions.handler500"

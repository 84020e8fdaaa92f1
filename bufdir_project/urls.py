from django.contrib import admin
from django.urls import include, path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from aggregations.dashboard import dashboard
from lib import health
from lib.login_limit import admin_login
from reports.admin_views import report_index, report_page
from schemes.admin_views import scheme_report_page

# "View site" goes to the coordinators' page, not to / (which is no page: a 404).
admin.site.site_url = reverse_lazy("dashboard")  # type: ignore[assignment]  # a lazy str: urls load first
admin.site.site_header = _("Bufdir reporting")
admin.site.site_title = _("Bufdir reporting")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("admin/dashboard/", dashboard, name="dashboard"),
    path("admin/reports/", report_index, name="reports"),
    path("admin/reports/<str:org_id>/", report_page, name="org-report"),
    path("admin/scheme-reports/<str:org_id>/", scheme_report_page, name="org-scheme-report"),
    # The language selector in the admin header posts here (lib/language.py).
    path("admin/language/", set_language, name="set_language"),
    path("admin/login/", admin_login),  # admin's own login, rate limited (before admin.site.urls)
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("", include("activities.urls")),
    path("", include("aggregations.urls")),
    path("", include("record_counts.urls")),
    path("", include("reports.urls")),
    path("", include("schemes.urls")),
]

handler400 = "lib.api.exceptions.handler400"
handler403 = "lib.api.exceptions.handler403"
handler404 = "lib.api.exceptions.handler404"
handler500 = "lib.api.exceptions.handler500"

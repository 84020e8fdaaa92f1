from django.urls import re_path

from schemes.views import SchemeReportView

# With and without a trailing slash, like every API route (lib.api.views.api_router).
urlpatterns = [
    re_path(r"^api/v1/reports/scheme/?$", SchemeReportView.as_view(), name="report-scheme"),
]

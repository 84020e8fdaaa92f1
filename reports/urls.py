from django.urls import re_path

from reports.views import ReportSeriesView

# With and without a trailing slash, like every API route (lib.api.views.api_router).
urlpatterns = [
    re_path(r"^api/v1/reports/series/?$", ReportSeriesView.as_view(), name="report-series"),
]

"""Human names of a report's dimensions and of their values, as the admin shows them:
the report page's column headers and the chart's legend. The API and the files keep the
values themselves (``completed``, ``family_guidance``)."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from activities.models import Activity

DIMENSION_LABELS = {"activity_type": _("Activity type"), "status": _("Status"), "location": _("Location")}


def value_label(dimension: str, value: str) -> str:
    """A status by its admin label ("Completed", "Fullført"); an empty location says so;
    activity types and places have no choices, so they are shown as they are stored."""
    if dimension == "status" and value in Activity.Status.values:
        return str(Activity.Status(value).label)
    if dimension == "location" and value == "":
        return gettext("(no location)")
    return value

"""``{% report_deadlines %}``: the admin home's block of report deadlines, for the
user's own organisations (all of them for a superuser)."""

from __future__ import annotations

from typing import Any

from django import template

from activities.admin_scope import coordinated_orgs
from aggregations.deadlines import deadlines

register = template.Library()

SHOWN = 10  # the home page lists the most pressing; the dashboard has every one


@register.inclusion_tag("admin/schemes/deadlines.html", takes_context=True)
def report_deadlines(context: dict[str, Any]) -> dict[str, Any]:
    request = context["request"]
    found = deadlines(orgs=coordinated_orgs(request).order_by("org_id"))
    return {
        "deadlines": found[:SHOWN],
        "more": max(len(found) - SHOWN, 0),
        "overdue": sum(1 for d in found if d.overdue),
    }

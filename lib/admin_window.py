"""Admin pages that show rows stored outside the supported window, without failing.

Every input is held to the supported window (``lib.timeranges``: 1900-01-01 to
2199-12-31, local), so no new row lies outside it; rows stored before it was enforced
may (migration ``activities.0006`` reports them). Django's admin converts each datetime
to the reporting time zone, and for an instant within an hour of ``datetime.max`` that
conversion overflows: a 500 on every list or form showing the row. The mixin below
shows such a value in UTC with a note, keeps it out of the change form (so the form
renders and the row's other fields can still be fixed) and lets the row be deleted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib.admin.views.main import ERROR_FLAG
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import formats, timezone
from django.utils.translation import gettext

from lib.timeranges import FIRST_DAY, LAST_DAY, in_window


def window() -> str:
    """The supported dates as admin writes them ("01.01.1900 til 31.12.2199")."""
    return gettext("%(first)s to %(last)s") % {"first": formats.localize(FIRST_DAY), "last": formats.localize(LAST_DAY)}


def outside_note(value: str = "") -> str:
    """ "outside the supported dates, <window>", after ``value`` when one is given."""
    if value:
        return gettext("%(value)s is outside the supported dates, %(window)s.") % {"value": value, "window": window()}
    return gettext("outside the supported dates, %(window)s") % {"window": window()}


def shown(value: dt.date | dt.datetime | None) -> str:
    """A stored date or instant as admin shows it: local inside the window; outside, in
    UTC (which never overflows) with a note naming the window."""
    if value is None:
        return "-"
    if in_window(value):
        if isinstance(value, dt.datetime):
            return str(formats.localize(timezone.localtime(value)))
        return str(formats.localize(value))
    if isinstance(value, dt.datetime):
        text = value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    else:
        text = value.isoformat()
    return f"{text} ({outside_note()})"


def column(name: str, label: str) -> Callable[[Any], str]:
    """A list or read-only column showing the field ``name`` with :func:`shown`."""

    def show(obj: Any) -> str:
        return shown(getattr(obj, name))

    show.__name__ = f"shown_{name}"
    show.short_description = label  # type: ignore[attr-defined]
    show.admin_order_field = name  # type: ignore[attr-defined]
    return show


class WindowSafeAdminMixin:
    """For a ModelAdmin: its date and datetime fields shown with :func:`shown` in the
    list, and, for a row with one outside the window, read-only on its change page."""

    model: type[models.Model]

    def _dated_fields(self) -> dict[str, str]:
        return {
            f.name: str(f.verbose_name).capitalize()
            for f in self.model._meta.fields
            if isinstance(f, models.DateField)  # DateTimeField is a DateField
        }

    def _outside(self, obj: Any) -> bool:
        return obj is not None and not all(in_window(getattr(obj, name)) for name in self._dated_fields())

    def get_list_display(self, request: HttpRequest) -> Any:
        dated = self._dated_fields()
        shown_list = super().get_list_display(request)  # type: ignore[misc]
        return [column(item, dated[item]) if isinstance(item, str) and item in dated else item for item in shown_list]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_fields(request, obj)  # type: ignore[misc]
        if not self._outside(obj):
            return fields
        dated = self._dated_fields()
        return [f"shown_{name}" if isinstance(name, str) and name in dated else name for name in fields]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        if not self._outside(obj):
            return readonly
        dated = self._dated_fields()
        return [name for name in readonly if name not in dated] + [f"shown_{name}" for name in dated]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # The date hierarchy's links stay in the window; a year typed into the address
        # outside it would make Django compute a bound past datetime.max (a 500). Answer
        # it as Django answers any bad filter: the unfiltered list, with ?e=1.
        hierarchy = getattr(self, "date_hierarchy", None)
        year = request.GET.get(f"{hierarchy}__year") if hierarchy else None
        if year is not None and not (year.isdigit() and FIRST_DAY.year <= int(year) <= LAST_DAY.year):
            return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")
        return super().changelist_view(request, extra_context)  # type: ignore[misc]

    def __getattr__(self, name: str) -> Any:
        # The read-only columns of get_fields/get_readonly_fields above, by name.
        if name.startswith("shown_"):
            field = name.removeprefix("shown_")
            dated = self._dated_fields()
            if field in dated:
                return column(field, dated[field])
        raise AttributeError(name)

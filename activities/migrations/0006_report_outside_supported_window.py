"""Report (never delete) stored rows outside the supported window, 1900-01-01 to
2199-12-31 in the reporting time zone, which the service no longer accepts
(SPEC.md, "Supported values"). A coordinator decides what to do with them."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations
from django.db.models import Q


def report(apps, schema_editor):
    zone = ZoneInfo(settings.REPORTING_TIME_ZONE)
    first = dt.datetime(1900, 1, 1, tzinfo=zone)
    after = dt.datetime(2200, 1, 1, tzinfo=zone)
    outside = {
        "activities": apps.get_model("activities", "Activity").objects.filter(
            Q(recorded_at__lt=first) | Q(recorded_at__gte=after)
        ),
        "aggregation snapshots": apps.get_model("aggregations", "AggregationSnapshot").objects.filter(
            Q(range_start__lt=first) | Q(range_end__gte=after)
        ),
        "count snapshots": apps.get_model("record_counts", "CountSnapshot").objects.filter(
            Q(range_start__lt=first) | Q(range_end__gte=after)
        ),
        "submitted periods": apps.get_model("aggregations", "SubmittedPeriod").objects.filter(
            Q(period_start__lt=first.date()) | Q(period_end__gt=dt.date(2199, 12, 31))
        ),
    }
    for name, rows in outside.items():
        n = rows.count()
        if n:
            ids = ", ".join(str(pk) for pk in rows.order_by("pk").values_list("pk", flat=True)[:20])
            print(f"\n  {n} {name} lie outside the supported dates 1900-01-01 to 2199-12-31 (kept): pk {ids}")


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0005_activity_change"),
        ("aggregations", "0003_subperiod_no_overlap"),
        ("record_counts", "0004_drop_count_version"),
    ]

    operations = [migrations.RunPython(report, migrations.RunPython.noop)]

"""A report as the API shows it: JSON (SPEC.md, "Reports"), and the table CSV/XLSX share."""

from __future__ import annotations

import datetime as dt
from typing import Any

from activities.counting import Tally
from lib.timeranges import isoformat_z, reporting_zone
from reports.series import Report, Series


def _groups(t: Tally, values: tuple[tuple[str, ...], ...]) -> dict[str, Any]:
    if len(values) == 1:
        return {key[0]: cell.activity_count for key, cell in t.groups.items()}
    nested: dict[str, dict[str, int]] = {first: {} for first in values[0]}
    for (first, second), cell in t.groups.items():
        nested[first][second] = cell.activity_count
    return nested


def _numbers(t: Tally, values: tuple[tuple[str, ...], ...]) -> dict[str, Any]:
    out: dict[str, Any] = {"activity_count": t.activity_count, "participant_total": t.participant_total}
    if values:
        out["groups"] = _groups(t, values)
    return out


def _series_json(series: Series) -> dict[str, Any]:
    return {
        "range": {"start": isoformat_z(series.time_range.start), "end": isoformat_z(series.time_range.end)},
        "total": _numbers(series.total, series.values),
        "buckets": [
            {
                "period": b.period,
                "start": isoformat_z(b.start),
                "end": isoformat_z(b.end),
                "partial": b.partial,
                **_numbers(b.tally, series.values),
            }
            for b in series.buckets
        ],
    }


def report_json(report: Report, *, time_zone: str) -> dict[str, Any]:
    main = _series_json(report.series)
    out: dict[str, Any] = {
        "org_id": report.org.org_id,
        "range": main["range"],
        "interval": report.interval,
        "time_zone": time_zone,
        "group_by": list(report.group_by),
        "total": main["total"],
        "buckets": main["buckets"],
    }
    if report.comparison is not None:
        out["compare"] = report.compare
        out["comparison"] = _series_json(report.comparison)
    return out


def table_columns(report: Report) -> list[str]:
    """The export's columns: ``series`` only with a comparison, then SPEC.md's."""
    lead = ["series"] if report.comparison is not None else []
    return [*lead, "period", "start", "end", *report.group_by, "activity_count", "participant_total"]


def table_rows(report: Report) -> list[list[Any]]:
    """One row per bucket (and group combination, zeros included); start/end as aware
    datetimes, numbers as ints. The report's rows first, then the comparison's.

    Grouped, a range without any group value (no activities in it or its comparison)
    still has a row per bucket: the group cells empty (``None``) and zero counts, so the
    file lists every bucket as the JSON does (where ``groups`` is then ``{}``)."""
    rows: list[list[Any]] = []
    named = [("current", report.series)]
    if report.comparison is not None:
        named.append(("comparison", report.comparison))
    for name, series in named:
        lead: list[Any] = [name] if report.comparison is not None else []
        for b in series.buckets:
            if not report.group_by:
                rows.append([*lead, b.period, b.start, b.end, b.tally.activity_count, b.tally.participant_total])
                continue
            if not b.tally.groups:
                empty = [None] * len(report.group_by)
                rows.append(
                    [*lead, b.period, b.start, b.end, *empty, b.tally.activity_count, b.tally.participant_total]
                )
                continue
            for key, cell in b.tally.groups.items():
                rows.append([*lead, b.period, b.start, b.end, *key, cell.activity_count, cell.participant_total])
    return rows


def file_stem(report: Report) -> str:
    """``report-org-bufdir-42-2026-01-01-to-2026-12-31-month``: organisation, local dates, interval."""
    zone = reporting_zone()

    def day(value: dt.datetime) -> str:
        return value.astimezone(zone).date().isoformat()

    r = report.series.time_range
    return f"report-{report.org.org_id}-{day(r.start)}-to-{day(r.end)}-{report.interval}"

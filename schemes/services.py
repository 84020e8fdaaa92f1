"""Writes of grant schemes: a change of rules is a new version, never an edit."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from schemes.models import GrantScheme, SchemeVersion
from schemes.rules import rule_problems

RULE_FIELDS = (
    "statuses",
    "activity_types",
    "min_participants",
    "min_duration_minutes",
    "in_person_required",
    "one_per_type_per_day",
)


def _normalised(rules: dict[str, Any]) -> dict[str, Any]:
    out = {name: rules[name] for name in RULE_FIELDS}
    out["statuses"] = sorted(set(out["statuses"]))
    out["activity_types"] = sorted(set(out["activity_types"]))
    out["min_participants"] = int(out["min_participants"] or 0)
    out["min_duration_minutes"] = int(out["min_duration_minutes"] or 0)
    return out


def scheme_rules_set(*, scheme: GrantScheme, rules: dict[str, Any], user: Any = None) -> SchemeVersion:
    """Make ``rules`` the scheme's current rules: a new version (numbered one past the
    newest) unless they equal the current version's, which is then returned unchanged.
    Raises ``ValidationError`` (by field) for rules that break ``rule_problems``."""
    values = _normalised(rules)
    problems = rule_problems(
        statuses=values["statuses"],
        activity_types=values["activity_types"],
        min_participants=values["min_participants"],
        min_duration_minutes=values["min_duration_minutes"],
    )
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        GrantScheme.objects.select_for_update().filter(pk=scheme.pk).first()  # one numbering at a time
        current = scheme.versions.order_by("-number").first()
        if current is not None and _normalised({n: getattr(current, n) for n in RULE_FIELDS}) == values:
            return current
        newest = scheme.versions.aggregate(n=Max("number"))["n"] or 0
        holder = user if getattr(user, "pk", None) is not None and getattr(user, "is_authenticated", False) else None
        return SchemeVersion.objects.create(scheme=scheme, number=newest + 1, created_by=holder, **values)

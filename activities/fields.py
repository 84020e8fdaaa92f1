"""The fields of an activity and their rules: one place, used by the API serializer,
the admin form and the importer.

Each ``clean_*`` takes a raw value (JSON, CSV text, or a form's value) and returns the
value to store, or raises ``FieldProblem`` with a message for the person who sent it.
The callers add their own framing (a DRF field error, a form error, "line 12:
status: ..."), never their own rules.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from lib.timeranges import UTC, RangeError, check_instant, parse_instant

# The alphabets of public ids, shared by the API, the importer and the URL routes.
ACTIVITY_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}"
SLUG_PATTERN = r"[-a-zA-Z0-9_]{1,64}"  # org_id and activity_type
ID_MAX_LENGTH = 64
LOCATION_MAX_LENGTH = 200
MAX_PARTICIPANTS = 2**31 - 1  # an int4 column
MAX_DURATION_MINUTES = 24 * 60  # an activity lasts at most a day (SPEC.md, "Grant schemes")
ORG_NUMBER_LENGTH = 9  # organisasjonsnummer
STATUSES = ("planned", "completed", "cancelled")
DEFAULT_STATUS = "completed"

ACTIVITY_ID_RE = re.compile(rf"^{ACTIVITY_ID_PATTERN}$")
SLUG_RE = re.compile(rf"^{SLUG_PATTERN}$")


class FieldProblem(ValueError):
    """A value an activity field does not accept; the message is for the client."""


def _no_nul(value: Any) -> None:
    if isinstance(value, str) and "\x00" in value:
        raise FieldProblem("null characters are not allowed")


def clean_activity_id(value: Any) -> str | None:
    """None (generate one) for a missing or empty value."""
    if value in (None, ""):
        return None
    _no_nul(value)
    if not isinstance(value, str) or not ACTIVITY_ID_RE.match(value):
        raise FieldProblem(f"letters, digits and _ . : - only, at most {ID_MAX_LENGTH} characters")
    return value


def clean_activity_type(value: Any) -> str:
    _no_nul(value)
    if not isinstance(value, str) or not SLUG_RE.match(value):
        raise FieldProblem(f"must be a slug (letters, digits, _ and -), at most {ID_MAX_LENGTH} characters")
    return value


def clean_recorded_at(value: Any) -> dt.datetime:
    """An ISO 8601 datetime with an offset (a bare date is refused), or an aware datetime."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise FieldProblem("needs a time zone")
        try:
            return check_instant(value).astimezone(UTC)
        except RangeError as exc:
            raise FieldProblem(str(exc)) from None
    _no_nul(value)
    try:
        return parse_instant(value)
    except RangeError as exc:
        raise FieldProblem(str(exc)) from None


def clean_participant_count(value: Any) -> int:
    """0 for a missing value; a whole number from 0 to the column's maximum otherwise
    (a JSON integer, or its digits as text; never a boolean or a fraction)."""
    if value in (None, ""):
        return 0
    problem = FieldProblem(f"must be a whole number from 0 to {MAX_PARTICIPANTS}")
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise problem
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or int(text) > MAX_PARTICIPANTS:
        raise problem
    return int(text)


def clean_location(value: Any) -> str:
    if value is None:
        return ""
    _no_nul(value)
    if not isinstance(value, str):
        raise FieldProblem("must be text")
    if len(value) > LOCATION_MAX_LENGTH:
        raise FieldProblem(f"at most {LOCATION_MAX_LENGTH} characters")
    return value


def clean_status(value: Any) -> str:
    if value in (None, ""):
        return DEFAULT_STATUS
    _no_nul(value)
    if value not in STATUSES:
        raise FieldProblem(f"must be one of {', '.join(sorted(STATUSES))}")
    return str(value)


def clean_duration_minutes(value: Any) -> int | None:
    """None (unknown) for a missing or empty value; else whole minutes from 0 to 1440
    (a JSON integer, or its digits as text; never a boolean or a fraction)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    problem = FieldProblem(f"must be a whole number of minutes from 0 to {MAX_DURATION_MINUTES}, or empty for unknown")
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise problem
    text = str(value).strip()
    if text.startswith("-") and text[1:].isascii() and text[1:].isdigit():
        raise FieldProblem("cannot be negative")
    if not text.isascii() or not text.isdigit():
        raise problem
    if int(text) > MAX_DURATION_MINUTES:
        raise FieldProblem(f"at most {MAX_DURATION_MINUTES} minutes (24 hours)")
    return int(text)


IN_PERSON_TRUE = frozenset({"true", "yes", "ja", "1"})
IN_PERSON_FALSE = frozenset({"false", "no", "nei", "0"})


def clean_in_person(value: Any) -> bool | None:
    """None (unknown) for a missing or empty value; a boolean, or in a file's text
    true/false, yes/no, ja/nei, 1/0 (any case)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if not text:
            return None
        if text in IN_PERSON_TRUE:
            return True
        if text in IN_PERSON_FALSE:
            return False
    raise FieldProblem("must be true or false (also yes/no, ja/nei, 1/0), or empty for unknown")


def clean_org_number(value: Any) -> str:
    """An organisasjonsnummer (python-stdnum's no.orgnr), stored as its nine digits;
    spaces are allowed. Empty for none."""
    from stdnum.exceptions import InvalidChecksum, ValidationError
    from stdnum.no import orgnr

    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    _no_nul(value)
    if not isinstance(value, str):
        raise FieldProblem("must be text: nine digits, e.g. 974 760 673")
    try:
        return str(orgnr.validate(value))
    except InvalidChecksum:
        raise FieldProblem("is not a valid organisation number (its check digit is wrong)") from None
    except ValidationError:
        raise FieldProblem(f"must be {ORG_NUMBER_LENGTH} digits (spaces allowed), e.g. 974 760 673") from None


CLEANERS = {
    "activity_id": clean_activity_id,
    "activity_type": clean_activity_type,
    "recorded_at": clean_recorded_at,
    "participant_count": clean_participant_count,
    "location": clean_location,
    "status": clean_status,
    "duration_minutes": clean_duration_minutes,
    "in_person": clean_in_person,
}

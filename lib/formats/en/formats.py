"""English admin formats: ISO dates and every time with its seconds, 24-hour, as the
API writes them (Django's US default, "Dec. 31, 2026, 11:59 p.m.", drops the seconds)."""

DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i:s"
DATETIME_FORMAT = "Y-m-d H:i:s"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i:s"

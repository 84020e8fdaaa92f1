"""Norwegian date and number formats for admin: numeric dates and every time with its
seconds (a range ending 23:59:59 must not read 23:59). Django's own ``nb`` module
supplies the rest (decimal comma, a non-breaking space between thousands)."""

DATE_FORMAT = "d.m.Y"  # 31.12.2026
TIME_FORMAT = "H:i:s"
DATETIME_FORMAT = "d.m.Y H:i:s"  # 31.12.2026 23:59:59
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i:s"
# The first input format is the one the form widgets show; ISO input is still accepted.
DATE_INPUT_FORMATS = ["%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y"]
TIME_INPUT_FORMATS = ["%H:%M:%S", "%H:%M:%S.%f", "%H:%M"]
DATETIME_INPUT_FORMATS = [
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M:%S.%f",
    "%d.%m.%Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
]

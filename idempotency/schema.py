"""The ``Idempotency-Key`` header as documented in the OpenAPI schema."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter

from idempotency.services import HEADER, MAX_KEY_LENGTH

IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    # Printable ASCII; HTTP strips a header value's outer spaces, so none at the ends.
    {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[!-~]([ -~]*[!-~])?$"},
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        f"Optional, 1 to {MAX_KEY_LENGTH} printable ASCII characters (a UUID is a good choice). "
        "A retry with the same key and the same body within 24 hours gets the first response again "
        "(status, body, Location, plus `Idempotent-Replayed: true`) and writes nothing; the same key "
        "with another body is a 422. A request that failed stored nothing and can be retried with its key."
    ),
)

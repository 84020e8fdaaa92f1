"""The one request parser: JSON, bounded in size and depth."""

from __future__ import annotations

import io
from typing import IO, Any

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"

    def __init__(self) -> None:
        super().__init__(f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.")


class BoundedJSONParser(JSONParser):
    """DRF's JSONParser reads the whole stream, whatever its size, and lets the
    RecursionError of deeply nested JSON escape as a 500. Here a body over
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a 413 and nesting too deep to decode is a 400."""

    def parse(self, stream: IO[Any] | None, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = (parser_context or {}).get("request")
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        if limit is not None and length and str(length).isdigit() and int(length) > limit:
            raise PayloadTooLarge()
        if stream is not None and limit is not None:
            body = stream.read(limit + 1)
            if len(body) > limit:
                raise PayloadTooLarge()
            stream = io.BytesIO(body)
        try:
            return super().parse(stream, media_type, parser_context)  # type: ignore[arg-type]
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None

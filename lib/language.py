"""Which language a request is answered in.

Admin (and the dashboard, which lives under ``/admin/``) speaks Norwegian bokmål
(``settings.ADMIN_LANGUAGE``) unless the user chose another of ``settings.LANGUAGES``
with the selector in the admin header (Django's ``set_language`` view, which sets the
language cookie). The browser's Accept-Language is not consulted: many Norwegian
coordinators run an English browser, and the admin should not change language under
them. Everything else (the APIs, their problem JSON, the API docs, ``/healthz``) is
answered in English whatever the request says: those messages are part of the
contracts. Outside a request (management commands, the cron job, logs) Django's
``LANGUAGE_CODE``, English, applies.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

ADMIN_PREFIX = "/admin/"
API_LANGUAGE = "en"  # the contracts' language, whatever LANGUAGE_CODE says


def request_language(request: HttpRequest) -> str:
    if not request.path_info.startswith(ADMIN_PREFIX):
        return API_LANGUAGE
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen in dict(settings.LANGUAGES):
        return str(chosen)
    return str(settings.ADMIN_LANGUAGE)


def _finish(request: HttpRequest, response: HttpResponse, language: str) -> HttpResponse:
    if request.path_info.startswith(ADMIN_PREFIX):
        patch_vary_headers(response, ["Cookie"])
        response.headers.setdefault("Content-Language", language)
    return response


Handler = Callable[[HttpRequest], HttpResponse]
AsyncHandler = Callable[[HttpRequest], Awaitable[HttpResponse]]


def language(get_response: Handler | AsyncHandler) -> Handler | AsyncHandler:
    """Sync and async (the stream's async view keeps its event-loop path)."""
    # The language holds for the request only (translation.override), so that code run
    # after it in the same thread (a management command, the next test) starts from
    # LANGUAGE_CODE again instead of the last admin page's choice.
    if iscoroutinefunction(get_response):

        async def middleware_async(request: HttpRequest) -> HttpResponse:
            language = request_language(request)
            request.LANGUAGE_CODE = language  # as Django's LocaleMiddleware sets it
            with translation.override(language):
                return _finish(request, await get_response(request), language)

        markcoroutinefunction(middleware_async)
        return middleware_async

    def middleware(request: HttpRequest) -> HttpResponse:
        language = request_language(request)
        request.LANGUAGE_CODE = language
        with translation.override(language):
            return _finish(request, get_response(request), language)  # type: ignore[arg-type]

    return middleware


language.sync_capable = True  # type: ignore[attr-defined]
language.async_capable = True  # type: ignore[attr-defined]

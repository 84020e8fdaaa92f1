"""Admin login rate limit: too many failed attempts for one user name from one IP address
within a window, and further attempts are refused with 429 until the window has passed.

Counted in Django's default cache (per process unless a shared cache is configured).
Keyed by client address *and* user name, so one attacker cannot lock every user out and
a shared address does not lock out other users. Behind a proxy set TRUSTED_PROXIES, or
every client has the proxy's address (lib/client_ip.py, docs/security.md).
"""

from __future__ import annotations

import hashlib
import unicodedata
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from lib.client_ip import client_ip


def login_name(raw: str) -> str:
    """The user name as authentication sees it, so every spelling of one account shares
    one limit: the login form strips it and NFKC-normalises it (a fullwidth ``v`` is
    a ``v``); case is folded on top, so ``ROOT`` and ``root`` share a limit too (a
    stricter grouping than the case-sensitive user model, never a looser one)."""
    return unicodedata.normalize("NFKC", raw.strip()).casefold()


def _cache_key(request: HttpRequest, username: str) -> str:
    ident = f"{client_ip(request)}|{login_name(username)}"
    return "admin-login-failures:" + hashlib.sha256(ident.encode()).hexdigest()


def failures(request: HttpRequest, username: str) -> int:
    return int(cache.get(_cache_key(request, username), 0))


@receiver(user_login_failed)
def count_failure(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    if request is None:
        return
    key = _cache_key(request, str(credentials.get("username", "")))
    # The window starts at the first failure (add does nothing when the key exists).
    cache.add(key, 0, timeout=settings.ADMIN_LOGIN_WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=settings.ADMIN_LOGIN_WINDOW_SECONDS)


@sensitive_post_parameters()
@csrf_protect
@never_cache
def admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """Django admin's login view, refusing attempts once the limit is reached."""
    if request.method == "POST":
        username = request.POST.get("username", "")
        if failures(request, username) >= settings.ADMIN_LOGIN_MAX_FAILURES:
            minutes = max(1, settings.ADMIN_LOGIN_WINDOW_SECONDS // 60)
            return HttpResponse(
                ngettext(
                    "Too many failed login attempts. Try again in %(minutes)s minute.",
                    "Too many failed login attempts. Try again in %(minutes)s minutes.",
                    minutes,
                )
                % {"minutes": minutes},
                status=429,
                content_type="text/plain; charset=utf-8",
                headers={"Retry-After": str(settings.ADMIN_LOGIN_WINDOW_SECONDS)},
            )
        response = admin.site.login(request, extra_context)
        if request.user.is_authenticated:
            cache.delete(_cache_key(request, username))
        return response
    return admin.site.login(request, extra_context)

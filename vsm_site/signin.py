"""The sign-in lockout (django-axes): too many failed sign-ins in a row lock the account and,
separately, the address they came from, for the sign-in page, the admin's and the token
endpoint alike.

`VSM_SIGNIN_FAILURE_LIMIT` failures in a row (5) are answered as failures; the next failure
locks (axes' `AXES_FAILURE_LIMIT` counts it, so it is one more): it and every later attempt
for that account or from that address, the right password too, are answered with a 429 "Too
many failed sign-ins: try again in N minutes or ask an administrator." until `AXES_COOLOFF_TIME`
(15 minutes) has passed since the last failure, or an administrator runs `manage.py
axes_reset` (or `axes_reset_username <name>`, `axes_reset_ip <address>`).

axes' backend (first in AUTHENTICATION_BACKENDS) refuses a locked-out attempt before the
password is checked, and axes' middleware answers a locked request with `lockout_response`
(AXES_LOCKOUT_CALLABLE): JSON `{"detail": ...}` under /api/, a page elsewhere. Attempts
refused during a lockout do not extend it (`AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT`).
The address is the request's REMOTE_ADDR, which the ASGI server resolves from forwarded
headers of trusted proxies only (VSM_TRUSTED_PROXIES).
"""

from __future__ import annotations

import math
from typing import Any

from django.db.models import Max, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from vsm_site.errors import Rejection


def client_address(request: HttpRequest) -> str | None:
    """The address sign-in attempts are counted against (AXES_CLIENT_IP_CALLABLE)."""
    return request.META.get("REMOTE_ADDR")


def _seconds_left(request: HttpRequest) -> int:
    """Until the lockout of this request's account or address ends (the cool-off after the
    last failure that counted)."""
    from axes.helpers import get_client_username, get_cool_off
    from axes.models import AccessAttempt

    cool_off = get_cool_off(request)
    if cool_off is None:
        return 0
    credentials = getattr(request, "axes_credentials", None)
    username = get_client_username(request, credentials)
    address = getattr(request, "axes_ip_address", None)
    matches = Q(pk__in=[])
    if username is not None:
        matches |= Q(username=username)
    if address is not None:
        matches |= Q(ip_address=address)
    latest = AccessAttempt.objects.filter(matches).aggregate(latest=Max("attempt_time"))["latest"]
    if latest is None:
        return int(cool_off.total_seconds())
    return max(1, math.ceil((latest + cool_off - timezone.now()).total_seconds()))


def lockout_message(seconds: int) -> str:
    if not seconds:
        return "Too many failed sign-ins: ask an administrator to unlock the account."
    minutes = max(1, math.ceil(seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many failed sign-ins: try again in {minutes} {unit} or ask an administrator."


def lockout_response(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """The answer to a locked-out sign-in attempt (AXES_LOCKOUT_CALLABLE): a 429 with the
    message, in the API's error envelope (reason `rate_limited`) under /api/, the lockout page
    elsewhere. The other arguments are ignored: axes' async middleware passes them in another
    order than its sync one; what is needed is on the request."""
    seconds = _seconds_left(request)
    message = lockout_message(seconds)
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(Rejection("rate_limited", message).envelope(), status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    if seconds:
        response["Retry-After"] = str(seconds)
    return response

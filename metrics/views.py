"""The flow summary page of a value stream (open to viewers)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from streams import selectors


@login_required
def summary(request: HttpRequest, pk: int) -> HttpResponse:
    stream, membership = selectors.stream_get(user=request.user, stream_id=pk)
    return render(request, "metrics/summary.html", {"stream": stream, "membership": membership})

"""The board page of a value stream."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from streams import selectors


@login_required
def board(request: HttpRequest, pk: int) -> HttpResponse:
    stream, membership = selectors.stream_get(user=request.user, stream_id=pk)
    snapshot = selectors.board_snapshot(user=request.user, stream_id=pk)
    return render(
        request,
        "streams/board.html",
        {"stream": stream, "membership": membership, "snapshot": snapshot},
    )

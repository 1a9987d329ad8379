"""Websocket routes, mounted by vsm_site.asgi behind origin checks and authentication."""

from django.urls import re_path

from streams.consumers import BoardConsumer

websocket_urlpatterns = [
    re_path(r"^ws/streams/(?P<stream_id>\d+)/$", BoardConsumer.as_asgi()),
]

"""Websocket routes of measured flow, mounted by vsm_site.asgi."""

from django.urls import re_path

from workitems.consumers import FlowConsumer

websocket_urlpatterns = [
    re_path(r"^ws/workshops/(?P<workshop_id>\d{1,18})/flow/$", FlowConsumer.as_asgi()),
]

from django.urls import path

from streams import views

urlpatterns = [
    path("streams/<id:pk>/board/", views.board, name="stream-board"),
    # Pages under /workshops/ that make maps (streams.views says why they live here).
    path("workshops/new/", views.workshop_new, name="workshop-new"),
    path("workshops/<id:pk>/streams/", views.stream_new, name="workshop-stream-new"),
    path(
        "workshops/<id:pk>/streams/<id:stream_id>/repeat/",
        views.stream_repeat,
        name="workshop-stream-repeat",
    ),
]

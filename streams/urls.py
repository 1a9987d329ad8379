from django.urls import path

from streams import views

urlpatterns = [
    path("streams/<id:pk>/board/", views.board, name="stream-board"),
]

from django.urls import path

from metrics import views

urlpatterns = [
    path("streams/<int:pk>/summary/", views.summary, name="stream-summary"),
]

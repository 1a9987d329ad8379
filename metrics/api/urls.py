from django.urls import path

from metrics.api import views

urlpatterns = [
    path("streams/<id:pk>/summary/", views.StreamSummaryView.as_view(), name="api-stream-summary"),
    path(
        "workshops/<id:pk>/flow-metrics/",
        views.FlowMetricsView.as_view(),
        name="api-flow-metrics",
    ),
    path(
        "streams/<id:pk>/measured/", views.StreamMeasuredView.as_view(), name="api-stream-measured"
    ),
    path(
        "streams/<id:pk>/measured/apply/",
        views.StreamMeasuredApplyView.as_view(),
        name="api-stream-measured-apply",
    ),
]

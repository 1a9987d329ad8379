from django.urls import path

from metrics.api import views

urlpatterns = [
    path("streams/<int:pk>/summary/", views.StreamSummaryView.as_view(), name="api-stream-summary"),
    path(
        "workshops/<int:pk>/flow-metrics/",
        views.FlowMetricsView.as_view(),
        name="api-flow-metrics",
    ),
    path(
        "streams/<int:pk>/measured/", views.StreamMeasuredView.as_view(), name="api-stream-measured"
    ),
    path(
        "streams/<int:pk>/measured/apply/",
        views.StreamMeasuredApplyView.as_view(),
        name="api-stream-measured-apply",
    ),
]

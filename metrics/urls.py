from django.urls import path

from metrics import views

urlpatterns = [
    path("streams/<id:pk>/summary/", views.summary, name="stream-summary"),
    path(
        "streams/<id:pk>/summary/measured/apply/",
        views.summary_measured_apply,
        name="stream-measured-apply",
    ),
    path("streams/<id:pk>/summary/report.pdf", views.summary_report, name="stream-report"),
    path("workshops/<id:pk>/flow/", views.flow, name="workshop-flow"),
    path("workshops/<id:pk>/flow/flow.csv", views.flow_csv, name="workshop-flow-csv"),
]

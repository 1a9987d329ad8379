from django.urls import path

from metrics import views

urlpatterns = [
    path("streams/<int:pk>/summary/", views.summary, name="stream-summary"),
    path("streams/<int:pk>/summary/report.pdf", views.summary_report, name="stream-report"),
    path("workshops/<int:pk>/flow/", views.flow, name="workshop-flow"),
    path("workshops/<int:pk>/flow/flow.csv", views.flow_csv, name="workshop-flow-csv"),
]

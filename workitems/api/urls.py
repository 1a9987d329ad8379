from django.urls import path

from workitems.api import views

urlpatterns = [
    path(
        "workshops/<id:pk>/work-items/import/",
        views.WorkItemImportView.as_view(),
        name="api-work-item-import",
    ),
    path(
        "workshops/<id:pk>/work-item-imports/",
        views.WorkItemImportListView.as_view(),
        name="api-work-item-imports",
    ),
    path(
        "work-item-imports/<id:pk>/",
        views.WorkItemImportDetailView.as_view(),
        name="api-work-item-import-detail",
    ),
    path(
        "workshops/<id:pk>/work-states/", views.WorkStateListView.as_view(), name="api-work-states"
    ),
    path("work-states/<id:pk>/", views.WorkStateDetailView.as_view(), name="api-work-state"),
    path("workshops/<id:pk>/type-rules/", views.TypeRuleListView.as_view(), name="api-type-rules"),
]

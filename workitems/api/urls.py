from django.urls import path

from workitems.api import views

urlpatterns = [
    path(
        "workshops/<int:pk>/work-items/import/",
        views.WorkItemImportView.as_view(),
        name="api-work-item-import",
    ),
    path(
        "workshops/<int:pk>/work-item-imports/",
        views.WorkItemImportListView.as_view(),
        name="api-work-item-imports",
    ),
    path(
        "work-item-imports/<int:pk>/",
        views.WorkItemImportDetailView.as_view(),
        name="api-work-item-import-detail",
    ),
    path(
        "workshops/<int:pk>/work-states/", views.WorkStateListView.as_view(), name="api-work-states"
    ),
    path("work-states/<int:pk>/", views.WorkStateDetailView.as_view(), name="api-work-state"),
    path("workshops/<int:pk>/type-rules/", views.TypeRuleListView.as_view(), name="api-type-rules"),
]

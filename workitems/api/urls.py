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

urlpatterns += [
    path(
        "workshops/<id:pk>/connections/",
        views.ConnectionListView.as_view(),
        name="api-connections",
    ),
    path("connections/<id:pk>/", views.ConnectionDetailView.as_view(), name="api-connection"),
    path(
        "connections/<id:pk>/test/",
        views.ConnectionTestView.as_view(),
        name="api-connection-test",
    ),
    path(
        "connections/<id:pk>/sync/",
        views.ConnectionSyncView.as_view(),
        name="api-connection-sync",
    ),
    path(
        "connection-syncs/<id:pk>/",
        views.ConnectionSyncDetailView.as_view(),
        name="api-connection-sync-detail",
    ),
]

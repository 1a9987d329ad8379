from django.urls import path

from streams.api import transfer, views, workshop_steps
from streams.kinds import KINDS

urlpatterns = [
    path("streams/", views.StreamListView.as_view(), name="api-streams"),
    path("streams/<id:pk>/", views.StreamDetailView.as_view(), name="api-stream"),
    path("streams/<id:pk>/clone/", views.StreamCloneView.as_view(), name="api-stream-clone"),
    path(
        "streams/<id:pk>/snapshot/",
        views.StreamSnapshotView.as_view(),
        name="api-stream-snapshot",
    ),
    path("wastes/<id:pk>/votes/", views.WasteVoteView.as_view(), name="api-waste-votes"),
    path(
        "streams/<id:pk>/ranking/",
        workshop_steps.WasteRankingView.as_view(),
        name="api-stream-ranking",
    ),
    path(
        "streams/<id:pk>/backlog/",
        workshop_steps.BacklogView.as_view(),
        name="api-stream-backlog",
    ),
    path(
        "streams/<id:pk>/export/json/",
        transfer.StreamExportJsonView.as_view(),
        name="api-stream-export-json",
    ),
    path(
        "streams/<id:pk>/export/csv/",
        transfer.StreamExportCsvView.as_view(),
        name="api-stream-export-csv",
    ),
    path(
        "streams/<id:pk>/export/svg/",
        transfer.StreamExportSvgView.as_view(),
        name="api-stream-export-svg",
    ),
    path(
        "workshops/<id:pk>/import/",
        transfer.WorkshopImportView.as_view(),
        name="api-workshop-import",
    ),
]
for _kind in KINDS.values():
    if _kind.stream_collection:
        urlpatterns.append(
            path(
                f"streams/<id:pk>/{_kind.plural}/",
                views.collection_view(_kind).as_view(),
                name=f"api-stream-{_kind.plural}",
            )
        )
    urlpatterns.append(
        path(
            f"{_kind.plural}/<id:pk>/",
            views.object_view(_kind).as_view(),
            name=f"api-{_kind.name}",
        )
    )

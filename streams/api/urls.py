from django.urls import path

from streams.api import transfer, views, workshop_steps
from streams.kinds import KINDS

urlpatterns = [
    path("streams/", views.StreamListView.as_view(), name="api-streams"),
    path("streams/<int:pk>/", views.StreamDetailView.as_view(), name="api-stream"),
    path("streams/<int:pk>/clone/", views.StreamCloneView.as_view(), name="api-stream-clone"),
    path(
        "streams/<int:pk>/snapshot/",
        views.StreamSnapshotView.as_view(),
        name="api-stream-snapshot",
    ),
    path("wastes/<int:pk>/votes/", views.WasteVoteView.as_view(), name="api-waste-votes"),
    path(
        "streams/<int:pk>/ranking/",
        workshop_steps.WasteRankingView.as_view(),
        name="api-stream-ranking",
    ),
    path(
        "streams/<int:pk>/backlog/",
        workshop_steps.BacklogView.as_view(),
        name="api-stream-backlog",
    ),
    path(
        "streams/<int:pk>/export/json/",
        transfer.StreamExportJsonView.as_view(),
        name="api-stream-export-json",
    ),
    path(
        "streams/<int:pk>/export/csv/",
        transfer.StreamExportCsvView.as_view(),
        name="api-stream-export-csv",
    ),
    path(
        "streams/<int:pk>/export/svg/",
        transfer.StreamExportSvgView.as_view(),
        name="api-stream-export-svg",
    ),
    path(
        "workshops/<int:pk>/import/",
        transfer.WorkshopImportView.as_view(),
        name="api-workshop-import",
    ),
]
for _name, _kind in KINDS.items():
    if _kind.name != "vote":
        urlpatterns.append(
            path(
                f"streams/<int:pk>/{_kind.plural}/",
                views.collection_view(_kind).as_view(),
                name=f"api-stream-{_kind.plural}",
            )
        )
    urlpatterns.append(
        path(
            f"{_kind.plural}/<int:pk>/",
            views.object_view(_kind).as_view(),
            name=f"api-{_kind.name}",
        )
    )

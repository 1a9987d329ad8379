from django.urls import path

from workshops.api import facilitation, views

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("workshops/", views.WorkshopListView.as_view(), name="api-workshops"),
    path("workshops/<id:pk>/", views.WorkshopDetailView.as_view(), name="api-workshop"),
    path("workshops/<id:pk>/members/", views.MemberListView.as_view(), name="api-members"),
    path("workshops/<id:pk>/timer/", facilitation.TimerView.as_view(), name="api-workshop-timer"),
    path(
        "workshops/<id:pk>/members/<id:member_id>/",
        views.MemberDetailView.as_view(),
        name="api-member",
    ),
    path(
        "workshops/<id:pk>/invitations/",
        views.InvitationListView.as_view(),
        name="api-invitations",
    ),
    path(
        "workshops/<id:pk>/invitations/<id:invitation_id>/",
        views.InvitationDetailView.as_view(),
        name="api-invitation",
    ),
    path(
        "invitations/<str:token>/accept/",
        views.InvitationAcceptView.as_view(),
        name="api-invitation-accept",
    ),
]

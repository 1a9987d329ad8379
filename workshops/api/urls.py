from django.urls import path

from workshops.api import facilitation, views

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("workshops/", views.WorkshopListView.as_view(), name="api-workshops"),
    path("workshops/<int:pk>/", views.WorkshopDetailView.as_view(), name="api-workshop"),
    path("workshops/<int:pk>/members/", views.MemberListView.as_view(), name="api-members"),
    path("workshops/<int:pk>/timer/", facilitation.TimerView.as_view(), name="api-workshop-timer"),
    path(
        "workshops/<int:pk>/members/<int:member_id>/",
        views.MemberDetailView.as_view(),
        name="api-member",
    ),
    path(
        "workshops/<int:pk>/invitations/",
        views.InvitationListView.as_view(),
        name="api-invitations",
    ),
    path(
        "workshops/<int:pk>/invitations/<int:invitation_id>/",
        views.InvitationDetailView.as_view(),
        name="api-invitation",
    ),
    path(
        "invitations/<str:token>/accept/",
        views.InvitationAcceptView.as_view(),
        name="api-invitation-accept",
    ),
]

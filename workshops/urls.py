from django.urls import path

from workshops import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/signup/", views.signup, name="signup"),
    path("join/<str:token>/", views.join, name="invitation-join"),
    path("workshops/<id:pk>/", views.workshop_detail, name="workshop-detail"),
    path("workshops/<id:pk>/invitations/", views.invitation_new, name="workshop-invite"),
    path(
        "workshops/<id:pk>/invitations/<id:invitation_id>/revoke/",
        views.invitation_revoke,
        name="workshop-invite-revoke",
    ),
    path(
        "workshops/<id:pk>/members/<id:member_id>/",
        views.member_update,
        name="workshop-member",
    ),
]

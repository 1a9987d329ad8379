from django.urls import path

from workshops import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/signup/", views.signup, name="signup"),
    path("join/<str:token>/", views.join, name="invitation-join"),
    path("workshops/<int:pk>/", views.workshop_detail, name="workshop-detail"),
]

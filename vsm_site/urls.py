from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("workshops.api.urls")),
    path("api/", include("streams.api.urls")),
    path("api/", include("metrics.api.urls")),
    path("api/", include("workitems.api.urls")),
    path("", include("workshops.urls")),
    path("", include("streams.urls")),
    path("", include("metrics.urls")),
]

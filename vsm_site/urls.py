from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

# Swagger UI's page carries a <style> block: the one page whose style-src allows inline styles
# (every other page's CSP has style-src 'self' only; docs/security.md).
api_docs = csp_update({"style-src": ["'unsafe-inline'"]})(
    SpectacularSwaggerSplitView.as_view(url_name="api-schema")
)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("api/", include("workshops.api.urls")),
    path("api/", include("streams.api.urls")),
    path("api/", include("metrics.api.urls")),
    path("api/", include("workitems.api.urls")),
    path("", include("workshops.urls")),
    path("", include("streams.urls")),
    path("", include("metrics.urls")),
]

# A path under /api/ that no view serves is answered with the API's error envelope.
handler404 = "vsm_site.errors.page_not_found"

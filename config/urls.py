"""URLs of Exhale. Every app's pages, the API under /api/v1/, allauth under /accounts/."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as accounts_views
from core import views as core_views

urlpatterns = [
    path("", accounts_views.home_view, name="home"),
    path("health/", core_views.health_view, name="health"),
    path("", include("safety.urls")),
    path("", include("accounts.urls")),
    path("", include("core.urls")),
    path("", include("cessation.urls_patient")),
    path("", include("cessation.urls_staff")),
    path("", include("peersupport.urls")),
    path("", include("onboarding.urls")),
    path("", include("trials.urls")),
    path("", include("records.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((("config.api_urls"), "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
]

handler403 = "core.errors.permission_denied_view"
handler404 = "core.errors.page_not_found_view"
handler500 = "core.errors.server_error_view"

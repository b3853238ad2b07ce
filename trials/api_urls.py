"""The trial's API routes, one module per part, joined into config/api_urls.py."""

from trials.api import exports, followups, participation

urlpatterns = [
    *participation.urlpatterns,
    *followups.urlpatterns,
    *exports.urlpatterns,
]

"""Pages of the trial, one module per part, under one namespace ("trials")."""

from trials import urls_dashboard, urls_exports, urls_followups, urls_participation, urls_setup

app_name = "trials"
urlpatterns = [
    *urls_setup.urlpatterns,
    *urls_participation.urlpatterns,
    *urls_followups.urlpatterns,
    *urls_dashboard.urlpatterns,
    *urls_exports.urlpatterns,
]

"""Pages of records (admins only)."""

from django.urls import path

from records import views

app_name = "records"
urlpatterns = [
    path("account/my-data/", views.subject_access_ask_view, name="subject_access_ask"),
    path(
        "records/<id:user_id>/subject-access/",
        views.subject_access_view,
        name="subject_access",
    ),
]

from django.urls import path

from core import views

app_name = "core"

urlpatterns = [
    path("notifications/", views.notification_list_view, name="notification_list"),
    path(
        "notifications/<id:notification_id>/read/",
        views.notification_read_view,
        name="notification_read",
    ),
    path("notifications/read-all/", views.notification_read_all_view, name="notification_read_all"),
]

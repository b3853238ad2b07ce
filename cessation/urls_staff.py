"""The care team's quit-tracking pages (namespace "cessation_staff")."""

app_name = "cessation_staff"

urlpatterns: list = []

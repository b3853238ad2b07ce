"""The patient's own quit-tracking pages (namespace "cessation")."""

app_name = "cessation"

urlpatterns: list = []

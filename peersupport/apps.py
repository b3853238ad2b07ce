"""Peer support: groups, pseudonyms, posts, moderation, 1:1 messages to peer specialists."""

from django.apps import AppConfig


class PeersupportConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "peersupport"
    verbose_name = "Peer support"

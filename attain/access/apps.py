from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "attain.access"
    label = "access"
    verbose_name = "Access"

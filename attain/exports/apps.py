from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "attain.exports"
    label = "exports"
    verbose_name = "Exports"

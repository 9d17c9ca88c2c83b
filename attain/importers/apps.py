from django.apps import AppConfig


class ImportersConfig(AppConfig):
    name = "attain.importers"
    label = "importers"
    verbose_name = "Imports"

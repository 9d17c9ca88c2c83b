from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "attain.quality"
    label = "quality"
    verbose_name = "Data quality"

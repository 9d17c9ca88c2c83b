from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "attain.audit"
    label = "audit"
    verbose_name = "Audit"

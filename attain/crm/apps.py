from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "attain.crm"
    label = "crm"
    verbose_name = "CRM"

"""The Django admin offers every model, with a list page that loads and a working search."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from attain.org.models import Person
from tests.conftest import PASSWORD

OUR_APPS = {"org", "crm", "metrics"}


def test_every_model_of_our_apps_is_registered_in_the_admin() -> None:
    ours = {m for m in apps.get_models() if m._meta.app_label in OUR_APPS}
    assert ours - set(admin.site._registry) == set()


OUR_MODELS: list[type[Model]] = sorted(
    (m for m in apps.get_models() if m._meta.app_label in OUR_APPS),
    key=lambda m: m._meta.label,
)


@pytest.mark.parametrize("model", OUR_MODELS, ids=[m._meta.label for m in OUR_MODELS])
def test_admin_list_and_search_load_for_an_administrator(
    model: type[Model], adam: Person, client: Client, pipeline: object
) -> None:
    assert adam.user is not None
    client.login(username=adam.user.username, password=PASSWORD)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")

    assert client.get(url).status_code == 200
    if admin.site._registry[model].search_fields:
        assert client.get(url, {"q": "acme"}).status_code == 200

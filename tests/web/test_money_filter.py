"""The `money` filter: Decimal in, formatted in a currency out, rounding stated, floats refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from hypothesis import given
from hypothesis import strategies as st

from attain.web.templatetags.attain_web import initials, money


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (Decimal("12500.00"), "EUR", "€12,500.00"),
        (Decimal("0.00"), "USD", "$0.00"),
        (Decimal("1234567.89"), "GBP", "£1,234,567.89"),
        (Decimal("12500.00"), "JPY", "¥12,500"),
        (Decimal("0.005"), "EUR", "€0.01"),  # half-up, not Babel's half-even
        (7, "EUR", "€7.00"),
    ],
)
def test_money_formats_in_the_currency(amount: Decimal, currency: str, shown: str) -> None:
    assert money(amount, currency) == shown


def test_money_shows_a_dash_for_no_amount() -> None:
    assert money(None, "EUR") == "—"


def test_money_refuses_a_float() -> None:
    with pytest.raises(TypeError, match="Decimal"):
        money(12.5, "EUR")  # type: ignore[arg-type]


def test_money_works_in_a_template() -> None:
    rendered = Template("{% load attain_web %}{{ v|money:c }}").render(
        Context({"v": Decimal("99.90"), "c": "EUR"})
    )

    assert rendered == "€99.90"


@given(st.decimals(min_value=0, max_value=Decimal("1e15"), places=2))
def test_money_keeps_every_cent(amount: Decimal) -> None:
    shown = money(amount, "EUR")

    assert Decimal(shown.removeprefix("€").replace(",", "")) == amount


@pytest.mark.parametrize(
    ("name", "letters"),
    [("Alice Rep", "AR"), ("maria", "M"), ("Jean-Luc de la Croix", "JC"), ("", "?")],
)
def test_initials(name: str, letters: str) -> None:
    assert initials(name) == letters

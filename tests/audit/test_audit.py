"""Audit records: who, when, what changed, in the same transaction as the change."""

from __future__ import annotations

from datetime import date

import pytest
from auditlog.models import LogEntry
from django.db import transaction

from attain.audit.selectors import audit_entries_for
from attain.audit.services import audit_bulk, audit_log
from attain.crm.models import Activity
from attain.org.models import Person
from attain.org.services import person_update


def test_an_update_records_the_actor_and_the_changed_fields_only(
    alice: Person, maria: Person
) -> None:
    person_update(actor=maria.user, person=alice, title="Senior AE", hire_date=alice.hire_date)

    entry = audit_entries_for(alice).first()
    assert entry is not None
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.actor == maria.user
    assert entry.changes == {"title": ["", "Senior AE"]}


def test_every_service_write_leaves_a_trail(alice: Person) -> None:
    kinds = set(audit_entries_for(alice).values_list("action", flat=True))
    assert LogEntry.Action.CREATE in kinds


@pytest.mark.django_db(transaction=True)
def test_an_audit_record_outside_a_transaction_is_refused(alice: Person) -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit_log(actor=None, instance=alice, action=LogEntry.Action.UPDATE, changes={})


def test_bulk_writes_get_one_entry_with_the_row_count(alice: Person) -> None:
    with transaction.atomic():
        entry = audit_bulk(
            actor=None,
            model=Activity,
            action=LogEntry.Action.CREATE,
            rows=1234,
            note="import calls.csv",
        )

    assert entry.object_repr == "1234 activities"
    assert entry.additional_data["note"] == "import calls.csv"


def test_leave_date_change_is_audited_with_iso_dates(alice: Person) -> None:
    person_update(actor=None, person=alice, leave_date=date(2026, 9, 30))

    entry = audit_entries_for(alice).first()
    assert entry is not None
    assert entry.changes["leave_date"] == [None, "2026-09-30"]

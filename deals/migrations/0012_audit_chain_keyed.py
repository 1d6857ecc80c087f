"""Key the existing audit chains: re-sign with the HMAC of AUDIT_HMAC_KEY every chain whose plain SHA-256 holds.

Each deal then records its chain's length and head. A chain that was already
broken is left as it was (re-signing it would hide the break), its deal records
its last event, and `verify_audit` keeps naming it (docs/audit.md).
"""

from django.db import migrations

from deals.audit_hash import GENESIS_HASH, audit_key, event_hash, unkeyed_event_hash


def _holds(events, hash_of):
    prev = GENESIS_HASH
    for expected, event in enumerate(events, start=1):
        if event.sequence != expected or event.prev_hash != prev or hash_of(event) != event.hash:
            return False
        prev = event.hash
    return True


def _rechain(apps, *, old_hash, new_hash):
    Deal = apps.get_model("deals", "Deal")
    AuditEvent = apps.get_model("deals", "AuditEvent")
    for deal_id in Deal.objects.order_by("pk").values_list("pk", flat=True).iterator():
        events = list(AuditEvent.objects.filter(deal_id=deal_id).order_by("sequence"))
        if events and _holds(events, old_hash):
            prev = GENESIS_HASH
            for event in events:
                event.prev_hash = prev
                event.hash = prev = new_hash(event)
                AuditEvent.objects.filter(pk=event.pk).update(prev_hash=event.prev_hash, hash=event.hash)
        last = events[-1] if events else None
        Deal.objects.filter(pk=deal_id).update(
            audit_event_count=last.sequence if last else 0, audit_head_hash=last.hash if last else GENESIS_HASH
        )


def key_chains(apps, schema_editor):
    key = audit_key()
    _rechain(apps, old_hash=unkeyed_event_hash, new_hash=lambda event: event_hash(event, key=key))


def unkey_chains(apps, schema_editor):
    key = audit_key()
    _rechain(apps, old_hash=lambda event: event_hash(event, key=key), new_hash=unkeyed_event_hash)


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0011_deal_audit_head"),
    ]

    operations = [migrations.RunPython(key_chains, unkey_chains)]

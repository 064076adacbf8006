"""Every text column of the schema is on one of these lists, so that a new column that could
hold what a person typed (and so an identifier) is a decision, not an accident.

- ``STRUCTURAL``: ids, codes, states, hashes, sealed envelopes' clear parts: nothing typed.
- ``TYPED_IN_CLEAR``: free text a person types that is stored in clear, with the reason. The
  at-rest canary test (tests/portal/bulletins/test_at_rest.py) covers what is sealed: bulletins,
  attachments, referral evidence and saved investigations.
"""

from __future__ import annotations

import sqlalchemy as sa

from portal.models import Base

STRUCTURAL = {
    "audit_records": {"event", "outcome", "ip"},
    "key_blobs": {"name"},
    "organisations": {"code", "country", "kind"},
    "referral_cases": {"id"},
    "users": {"password_hash"},
    "api_tokens": {"prefix"},
    "briefing_copies": {"id", "state", "marking", "bulletin_ids", "content_sha256", "pdf_sha256"},
    "bulletins": {
        "id", "category", "marking", "state", "series_id", "supersedes_id", "signature",
        "key_records", "stix_report_id", "stix_modified",  # a STIX id, a timestamp
    },
    "login_failures": {"ip"},
    "login_sessions": {"end_reason", "ip"},
    "person_decisions": {"first", "second"},  # mention ids, not identifiers
    "referral_bulk_jobs": {"id", "kind", "source_format", "state", "error"},
    "referral_case_keys": {"case_id"},
    "referrals": {"id", "kind", "statement"},
    "taxii_statuses": {"id", "status", "successes", "failures"},
    "user_roles": {"role"},
    "access_requests": {"bulletin_id", "state"},
    "acknowledgements": {"bulletin_id"},
    "attachments": {"bulletin_id", "sha256"},
    "bulletin_keys": {"bulletin_id", "org_code"},
    "bulletin_recipients": {"bulletin_id", "via"},
    "bulletin_tokens": {"bulletin_id"},
    "read_receipts": {"bulletin_id"},
    "referral_bulk_rows": {"job_id", "status", "item_id", "case_id", "column"},
    "referral_items": {
        "id", "referral_id", "case_id", "kind", "content_type", "category", "language", "state",
        "outcome", "outcome_countries", "hashes",
    },
    "hash_entries": {"kind", "value", "case_id", "item_id"},
    "referral_evidence": {"id", "item_id", "sha256", "md5", "envelope"},
    "referral_ledger": {"item_id", "event"},
    "webhook_deliveries": {"id", "event", "item_id", "dedupe", "state"},
    "referral_evidence_chunks": {"evidence_id"},
    "webhook_attempts": {"delivery_id", "error"},
}  # fmt: skip

TYPED_IN_CLEAR = {
    # Who people and organisations are: the portal's directory, shown to every member.
    "organisations.name": "directory",
    "users.email": "directory; sign-in looks it up",
    "users.name": "directory",
    "login_sessions.user_agent": "what the browser sent, shown in the user's sessions",
    "audit_records.actor_email": "the address typed at a failed sign-in, for the audit",
    "audit_records.details": "ids and counts only, by the audit service's rules",
    "api_tokens.name": "the holder's label for a token",
    "sharing_groups.name": "an organisation's label for a group of recipients",
    "saved_filters.name": "a user's label; the criteria never hold an identifier",
    "saved_filters.criteria": "category, marking, sender, box, period: no identifier",
    "briefing_copies.error": "the portal's own message when a briefing fails",
    # Referrals: the platform must read what is referred to it, and acts on the URL.
    "referrals.legal_basis": "the legal basis quoted to the platform",
    "referral_bulk_jobs.legal_basis": "as referrals.legal_basis",
    "referral_bulk_jobs.label": "the referrer's label for an upload",
    "referral_bulk_jobs.filename": "the uploaded file's name",
    "referral_bulk_rows.url": "the URL referred, for the platform",
    "referral_bulk_rows.fields": "a row's fields before it becomes an item",
    "referral_bulk_rows.message": "the portal's refusal of a row",
    "referral_case_keys.key": "the normalised URL that groups items into a case",
    "referral_items.url": "the URL referred, for the platform",
    "referral_items.url_key": "as referral_case_keys.key",
    "referral_items.account": "the account referred, for the platform",
    "referral_items.attributed_group": "the group the content is attributed to",
    "referral_items.reason": "the reason given to the platform",
    "referral_items.outcome_note": "the platform's note on its decision",
    "referral_ledger.details": "the item's history, shown to both sides",
    "webhook_endpoints.url": "where the platform receives deliveries",
    "webhook_deliveries.body": "the JSON delivered to the platform, byte for byte",
    "hash_banks.name": "a bank's label",
    "hash_banks.description": "a bank's description",
    "hash_entries.label": "a hash's label",
    # Not yet sealed: free text that may name an identifier (to seal next).
    "bulletins.ended_reason": "NOT YET SEALED: why a bulletin was retracted, on its tombstone "
    "(the form asks not to repeat intelligence in it)",
    "access_requests.reason": "NOT YET SEALED: the reason given for an access request",
    "person_decisions.note": "NOT YET SEALED: an analyst's note on a same-person decision",
}


def text_columns() -> set[str]:
    return {
        f"{table.name}.{column.name}"
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, sa.String | sa.Text | sa.JSON | sa.Enum)
    }


def test_every_text_column_is_classified():
    structural = {f"{table}.{name}" for table, names in STRUCTURAL.items() for name in names}
    assert not structural & set(TYPED_IN_CLEAR)
    assert text_columns() == structural | set(TYPED_IN_CLEAR)


def test_saved_investigations_hold_no_text_column():
    assert not {c for c in text_columns() if c.startswith("investigations.")}

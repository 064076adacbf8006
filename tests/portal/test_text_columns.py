"""Every text column of the schema is on one of these lists, so that a new column that could
hold what a person typed (and so an identifier) is a decision, not an accident.

- ``STRUCTURAL``: ids, codes, states, hashes, sealed envelopes' clear parts: nothing typed.
- ``TYPED_IN_CLEAR``: free text a person types that is stored in clear, with the reason.
- ``SEALED``: what a person types that may name an entity, stored as sealed bytes only (no text
  column of it is left), with what it is sealed under. The at-rest canary test
  (tests/portal/test_canary_at_rest.py) writes a canary through every form and API route that
  takes text and finds it nowhere in clear.
"""

from __future__ import annotations

import sqlalchemy as sa

from portal.models import Base

STRUCTURAL = {
    "audit_records": {"event", "outcome", "ip"},
    "key_blobs": {"name"},
    "organisations": {"code", "country", "kind"},
    "referral_cases": {"id"},
    "users": {"password_hash", "language"},
    "api_tokens": {"prefix"},
    "briefing_copies": {
        "id", "state", "marking", "bulletin_ids", "content_sha256", "pdf_sha256", "language",
    },
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
    "watch_notifications": {"bulletin_id", "event"},
    "watch_mails": {"state"},
    # ids, the comment's kind, and the author's signed statement (ids, times, a digest)
    "bulletin_comments": {"id", "series_id", "bulletin_id", "kind", "statement"},
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
    # Watchlist e-mails: the organisation's relay, and what it answered (never what was watched).
    "organisations.smtp_host": "the organisation's mail relay, set by its administrator",
    "organisations.smtp_from": "the sender address of its watchlist e-mails",
    "watch_mails.last_error": "the mail relay's answer to a failed attempt (may name the "
    "recipient's address, which the directory holds anyway)",
}


SEALED = {
    "bulletins.header": "the envelope's signed header (the content's key is wrapped per recipient)",
    "bulletins.content": "the envelope's ciphertext: title, summary, body, entities",
    "attachment_chunks.data": "an attachment's bytes, under the bulletin's content key",
    "investigations.sealed": "name, notes and nodes, under the derivation root, per organisation",
    "access_requests.reason_sealed": "the asker's reason, under the derivation root, bound to "
    "the bulletin (its originator) and the asking organisation: both read it",
    "person_decisions.note_sealed": "an analyst's note, under the derivation root, bound to the "
    "organisation and the pair decided on",
    "bulletins.ended_reason_sealed": "a retraction's reason, under the derivation root, bound to "
    "the version: every organisation that sees the tombstone reads it",
    "watches.sealed": "a watched identifier's key and words, under the derivation root, bound to "
    "the watcher; matched by its blind-index token (watches.token)",
    "bulletin_comments.sealed": "a comment's text or a sighting, under a key derived from the "
    "commented version's content key: exactly that version's readers open it",
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


def test_sealed_columns_are_bytes_and_their_clear_columns_are_gone():
    columns = {
        f"{table.name}.{column.name}": column
        for table in Base.metadata.sorted_tables
        for column in table.columns
    }
    for name in SEALED:
        assert isinstance(columns[name].type, sa.LargeBinary), name
    assert not {"access_requests.reason", "person_decisions.note", "bulletins.ended_reason"} & set(
        columns
    )
    assert not set(SEALED) & text_columns()

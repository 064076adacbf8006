"""SQLAlchemy models, one module per aggregate."""

from portal.models.api_token import ApiToken
from portal.models.attachment import Attachment, AttachmentChunk
from portal.models.audit import AuditHead, AuditRecord
from portal.models.base import Base, utcnow
from portal.models.briefing import BriefingCopy, BriefingState
from portal.models.bulletin import (
    Bulletin,
    BulletinKey,
    BulletinRecipient,
    BulletinState,
    BulletinToken,
    RecipientVia,
)
from portal.models.bulletin_activity import (
    AccessRequest,
    AccessRequestState,
    Acknowledgement,
    ReadReceipt,
)
from portal.models.hash_bank import HashBank, HashBankReader, HashEntry, HashKind
from portal.models.investigation import Investigation, PersonDecision
from portal.models.key_blob import KeyBlob
from portal.models.login import LoginFailure, LoginSession
from portal.models.organisation import Organisation, OrgKind
from portal.models.referral import (
    ItemState,
    Referral,
    ReferralCase,
    ReferralCaseKey,
    ReferralItem,
    ReferralKind,
    ReferralLedgerEntry,
)
from portal.models.referral_bulk import BulkState, ReferralBulkJob, ReferralBulkRow, RowStatus
from portal.models.referral_evidence import ReferralEvidence, ReferralEvidenceChunk
from portal.models.saved_filter import SavedFilter
from portal.models.sharing_group import SharingGroup, SharingGroupMember
from portal.models.taxii import TaxiiStatus
from portal.models.user import Role, User, UserRole
from portal.models.watch import MailState, Watch, WatchMail, WatchNotification
from portal.models.webhook import (
    DeliveryState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

__all__ = [
    "AccessRequest",
    "AccessRequestState",
    "Acknowledgement",
    "ApiToken",
    "Attachment",
    "AttachmentChunk",
    "AuditHead",
    "AuditRecord",
    "Base",
    "BriefingCopy",
    "BriefingState",
    "BulkState",
    "Bulletin",
    "BulletinKey",
    "BulletinRecipient",
    "BulletinState",
    "BulletinToken",
    "DeliveryState",
    "HashBank",
    "HashBankReader",
    "HashEntry",
    "HashKind",
    "Investigation",
    "ItemState",
    "KeyBlob",
    "LoginFailure",
    "LoginSession",
    "MailState",
    "OrgKind",
    "Organisation",
    "PersonDecision",
    "ReadReceipt",
    "RecipientVia",
    "Referral",
    "ReferralBulkJob",
    "ReferralBulkRow",
    "ReferralCase",
    "ReferralCaseKey",
    "ReferralEvidence",
    "ReferralEvidenceChunk",
    "ReferralItem",
    "ReferralKind",
    "ReferralLedgerEntry",
    "Role",
    "RowStatus",
    "SavedFilter",
    "SharingGroup",
    "SharingGroupMember",
    "TaxiiStatus",
    "User",
    "UserRole",
    "Watch",
    "WatchMail",
    "WatchNotification",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "utcnow",
]

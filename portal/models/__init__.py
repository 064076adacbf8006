"""SQLAlchemy models, one module per aggregate."""

from portal.models.audit import AuditHead, AuditRecord
from portal.models.base import Base, utcnow
from portal.models.login import LoginFailure, LoginSession
from portal.models.organisation import Organisation, OrgKind
from portal.models.user import Role, User, UserRole

__all__ = [
    "AuditHead",
    "AuditRecord",
    "Base",
    "LoginFailure",
    "LoginSession",
    "OrgKind",
    "Organisation",
    "Role",
    "User",
    "UserRole",
    "utcnow",
]

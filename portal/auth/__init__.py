"""Signing in and out, second-factor enrolment, password changes, the portal's language."""

from portal.auth import language_views as language_views

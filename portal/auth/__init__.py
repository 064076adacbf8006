"""Signing in and out, second-factor enrolment, password changes."""

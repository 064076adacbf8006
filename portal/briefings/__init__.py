"""Briefing pages: compose and download a briefing, follow a queued one, verify a PDF; and
``python -m portal.briefings verify``. Making the PDFs is ``portal.services.briefings``'s job."""

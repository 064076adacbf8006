"""Briefings: choosing the bulletins, opening them, and signing and tracing each PDF copy.

:mod:`.selection` turns what the user asked for into bulletins the organisation may read
(:class:`~portal.services.errors.NotFound` for any other), :mod:`.contents` opens and
verifies them and draws the link graph, :mod:`.copies` records each copy and its delivery in
the audit trail, and :mod:`.signing` signs a finished PDF and verifies one offline. Rendering
HTML and PDF is the ``portal.briefings`` blueprint's job.
"""

"""Briefings: PDFs an official takes into a meeting, made from the bulletins the organisation
may read, marked on every page, signed by the organisation and traceable to each copy's
recipient.

Asking and making:

- :mod:`.requesting` is where the web page and the API ask for a briefing: made in the
  request, or queued when it is large and a queue exists.
- :mod:`.making` makes one copy, in the request or in a worker: choose, open, lay out,
  render, sign, record.
- :mod:`.job_queue` holds the RQ queue for large briefings, the job a worker runs, and the
  sealed request and PDF that pass through Redis.

The steps of making a copy:

- :mod:`.selection` turns what the user asked for into bulletins the organisation may read
  (:class:`~portal.services.errors.NotFound` for any other).
- :mod:`.contents` opens and verifies them and draws the link graph.
- :mod:`.layout` writes the briefing's HTML, with the summary charts of :mod:`.charts`.
- :mod:`.pdf_renderer` renders it with WeasyPrint in a limited child process, which may
  fetch nothing but what :mod:`.asset_fetcher` allows.
- :mod:`.signing` signs the finished PDF and verifies one, offline or with the portal's keys.
- :mod:`.copies` records each copy, its delivery and its verifications in the audit trail.

The ``portal.briefings`` blueprint holds only the pages, their forms and the ``verify``
command line.
"""

from portal.models import Role

# Who may ask for a briefing: the pages, the API, the queue's job and the menu all ask this.
BRIEFING_ROLES = frozenset({Role.OFFICIAL, Role.ANALYST})

"""What the read page shows about one bulletin, gathered before the template renders.

The bulletin is opened once, by :func:`reading.read_bulletin` (or by the attachment download
that found it tampered); every panel is built here from that result, so ``read.html`` and its
partials only display :class:`ReadPage` and call nothing back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from graph.labels import platform_name
from portal import safe_markdown
from portal.bulletins.comment_forms import CommentForm
from portal.bulletins.inbox_forms import AcknowledgeForm
from portal.models import Bulletin, BulletinState
from portal.services.bulletins import acknowledgements, changes, inbox, reading
from portal.services.bulletins.access import is_originator
from portal.services.bulletins.comments import Comment, list_comments
from portal.services.bulletins.content import BulletinContent, Entity
from portal.services.bulletins.originator_panel import OriginatorPanel, originator_panel
from portal.services.discovery import hits
from portal.services.principals import Reader
from portal.services.watchlists import entity_pages


@dataclass(frozen=True)
class ReadPage:
    """The read page of one bulletin for one reader."""

    reader: Reader
    result: reading.ReadResult  # the bulletin, its sender, and its content and seal, or why not
    originator: bool  # the reader's organisation sent it
    versions: list[inbox.VersionLink]  # the versions of its series the reader may read
    activity: acknowledgements.Activity  # acknowledgements; read receipts for the originator
    actions: OriginatorPanel | None  # amend, release, retract: the originator's liaison officers
    discovery: hits.BulletinDiscovery | None  # its entities in bulletins the reader cannot read
    body: Markup | None  # the text as sanitised HTML
    acknowledge_form: AcknowledgeForm
    version_changes: changes.VersionChanges | None  # what this version changed from the one before
    comments: list[Comment]  # of the series, on versions the reader can open
    comment_form: CommentForm | None  # None: the bulletin takes no new comment
    red_note: str = field(
        default_factory=lambda: str(hits.RED_EXCLUDED)
    )  # why discovery never counts TLP:RED bulletins
    # Entity ref -> the opaque reference of its page (none for a tombstone or a platform).
    entity_refs: Mapping[str, str] = field(default_factory=dict)

    @property
    def bulletin(self) -> Bulletin:
        return self.result.bulletin

    @property
    def discovery_groups(self) -> list[list[hits.EntityHits]]:
        """The discovery hits grouped by what is said of them (how many bulletins, from whom),
        in the order first met: one sentence per group, not one per entity, so that a bulletin
        with twenty entities named in the same hidden bulletins reads as one line of them."""
        groups: dict[tuple[int, str], list[hits.EntityHits]] = {}
        for hit in self.discovery.hits if self.discovery is not None else ():
            groups.setdefault((hit.hidden_total, hit.hidden_senders), []).append(hit)
        return list(groups.values())

    @property
    def content(self) -> BulletinContent | None:
        return self.result.content

    @property
    def entity_names(self) -> dict[str, str]:
        """Entity ref -> value, to name the ends of relations and travellers."""
        return {e.ref: e.value for e in self.content.entities} if self.content is not None else {}


def read_page(
    reader: Reader, result: reading.ReadResult, *, comment_form: CommentForm | None = None
) -> ReadPage:
    """Everything the read page shows, from the bulletin already opened in ``result``.

    ``comment_form`` is a comment form posted and refused, to show again with its message.
    """
    bulletin, content = result.bulletin, result.content
    form = None
    if content is not None and bulletin.state == BulletinState.ACTIVE.value:
        form = comment_form or CommentForm(formdata=None)
        form.entity.choices = [(e.ref, _entity_choice(e)) for e in content.entities]
    found = None
    refs: dict[str, str] = {}
    if content is not None and reader.sees_bulletins:  # tampered or ended: nothing to look for
        found = hits.for_bulletin(reader, result.sender, content)
        refs = entity_pages.entity_references(reader, content, result.sender.country)
    return ReadPage(
        reader=reader,
        result=result,
        originator=is_originator(reader, bulletin),
        versions=inbox.versions_of(reader, bulletin),
        activity=acknowledgements.activity(reader, bulletin),
        actions=originator_panel(reader, bulletin),
        discovery=found,
        body=safe_markdown.render(content.body) if content is not None else None,
        acknowledge_form=AcknowledgeForm(),
        version_changes=changes.from_previous(reader, bulletin, content)
        if content is not None
        else None,
        entity_refs=refs,
        comments=list_comments(reader, bulletin.id) if reader.sees_bulletins else [],
        comment_form=form,
    )


_TYPE_WORDS = {
    "person": _l("person"),
    "account": _l("account"),
    "group": _l("group"),
    "phone": _l("phone number"),
    "email": _l("e-mail address"),
    "url": _l("URL"),
    "location": _l("place"),
    "travel": _l("travel"),
}


def _entity_choice(entity: Entity) -> str:
    """How the sighting form names an entity: ``@handle (Telegram account)``, ``+33 … (phone
    number)``, ``Abu Example (person)``."""
    if entity.platform is not None:
        platform = platform_name(entity.platform.value)
        return gettext("%(value)s (%(platform)s account)", value=entity.value, platform=platform)
    kind = entity.type.value
    return f"{entity.value} ({_TYPE_WORDS.get(kind, kind)})"

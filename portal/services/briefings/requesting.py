"""A briefing asked for, from the web page or the API: queued when large and a queue exists,
made in the request otherwise. Both callers go through :func:`request_briefing`."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext
from redis.exceptions import RedisError

from portal.i18n import current_language
from portal.models import BriefingCopy, BriefingState, User
from portal.services.briefings import copies, job_queue
from portal.services.briefings.making import MadeBriefing, make_briefing, prepared_for
from portal.services.briefings.pdf_renderer import RenderFailed, shared_renderer
from portal.services.briefings.selection import BriefingRequest, chosen_bulletins, highest_marking
from portal.services.errors import ServiceError
from portal.services.principals import Actor, Reader


def _queue_down() -> str:
    return gettext("The job queue cannot be reached: try again later, or choose fewer bulletins.")


class BriefingNotMade(Exception):
    """The copy was recorded but could not be made; ``status`` is the HTTP answer."""

    def __init__(self, copy: BriefingCopy, message: str, status: int) -> None:
        super().__init__(message)
        self.copy = copy
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Requested:
    copy: BriefingCopy
    made: MadeBriefing | None  # None: queued


def request_briefing(
    reader: Reader, actor: Actor, user: User, briefing: BriefingRequest
) -> Requested:
    """Choose the bulletins (NotFound / InvalidInput before anything is recorded), then queue
    or make the copy; BriefingNotMade when rendering or the queue fails. The briefing is
    written in the requester's current language."""
    bulletins = chosen_bulletins(reader, briefing)
    marking = highest_marking(bulletins).value
    selection = copies.selection_key(briefing)
    language = current_language()
    if job_queue.uses_queue(len(bulletins)):
        copy = copies.start_copy(
            reader,
            actor,
            bulletins,
            marking,
            state=BriefingState.QUEUED,
            selection=selection,
            language=language,
        )
        try:
            job_queue.enqueue(copy, briefing)
        except RedisError:
            copies.fail_copy(copy.id, actor, _queue_down())
            raise BriefingNotMade(copy, _queue_down(), 503) from None
        return Requested(copy, None)
    copy = copies.start_copy(
        reader,
        actor,
        bulletins,
        marking,
        state=BriefingState.RENDERING,
        selection=selection,
        language=language,
    )
    try:
        made = make_briefing(
            reader,
            actor,
            briefing,
            copy,
            user.organisation,
            prepared_for(user),
            shared_renderer(),
            delivered=True,
        )
    except (RenderFailed, ServiceError) as error:
        raise BriefingNotMade(copy, error.message, 422) from None
    return Requested(copy, made)

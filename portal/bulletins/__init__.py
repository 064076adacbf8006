"""Bulletins: compose, inbox, read, acknowledge, and the originator's lifecycle actions.

The view functions are split by what the user does: :mod:`.compose` (writing and amending),
:mod:`.views` (inbox, reading, acknowledging, attachments), :mod:`.lifecycle` (release,
access requests, retraction). All register on the one ``bulletins`` blueprint.
"""

"""Briefings: PDFs an official takes into a meeting, rendered by WeasyPrint in a child process,
marked on every page, signed by the organisation and traceable to the copy's recipient."""

"""A bulletin's whole life: content, sealing, access, reading, amendments, release, retraction,
acknowledgements, attachments, the inbox and its saved filters.
"""

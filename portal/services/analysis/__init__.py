"""The analysts' link graph: each organisation's graph, the workspace's queries, "same person"
decisions and saved investigations.
"""

"""Discovery without disclosure: hit/no-hit answers on bulletins one cannot read, and the access
requests they lead to.
"""

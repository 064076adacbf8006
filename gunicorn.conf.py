"""gunicorn's settings for the portal (gunicorn reads ./gunicorn.conf.py, or name it with -c).

The access log leaves out the query string and the referrer, which can name identifiers
(``/bulletins/search?q=@handle``): ``%(U)s`` is the path alone. The portal also filters query
strings out of gunicorn's loggers (portal/request_log.py) when another format is given.
"""

access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(L)s'

"""The web layer: the Manage Multiple Points of Contact pages and the JSON API, over the library.

Server-rendered Jinja2 pages that work without JavaScript; a little JavaScript enhances them
(live progress, dropping a file). No state lives in process memory: sessions, failed logins,
batches, their progress and their results are in the store, so several servers may run behind
a load balancer on PostgreSQL.
"""

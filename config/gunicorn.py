"""gunicorn settings: HOST, PORT and WEB_CONCURRENCY from the environment.

Workers are gevent's: a request is a greenlet, so the live stream's long-lived connections
(`GET /api/v1/stream`, Server-Sent Events) cost a greenlet each and never tie up a worker.
psycopg2 is made cooperative in each worker (config/green.py). `GUNICORN_WORKER_CLASS=sync` goes back
to one request per process (then the stream holds a worker while it is open)."""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gevent")
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "1000"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
control_socket_disable = True


def post_fork(server, worker):
    if worker_class == "gevent":
        from config.green import patch_psycopg  # not under api/: importing api would load the app unpatched

        patch_psycopg()

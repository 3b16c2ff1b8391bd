"""gunicorn settings: listen on $PORT and stop quickly but gracefully on SIGTERM."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8080')}"
workers = int(os.environ.get("WEB_WORKERS", "2"))
worker_class = "gthread"
threads = 4
# On SIGTERM gunicorn stops accepting connections and lets in-flight requests finish for
# at most this long, well inside ECS's stop timeout.
graceful_timeout = 5
timeout = 30
# Keep idle connections open longer than the load balancer does (its idle timeout is 60 s by
# default), or it may send a request down a connection the app has just closed: a 502.
# shipyard sets KEEPALIVE_SECONDS from the stack's idleTimeout.
keepalive = int(os.environ.get("KEEPALIVE_SECONDS", "75"))
# The heartbeat file lives in memory: container filesystems can be slow or read-only.
worker_tmp_dir = "/dev/shm"
# Request logs are the service's own JSON lines on stdout; gunicorn's access log stays off.
accesslog = None
errorlog = "-"
# The runtime control socket would need a writable home; nothing in a container uses it.
control_socket_disable = True

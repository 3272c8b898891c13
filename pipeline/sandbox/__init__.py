"""A local WeChat Official Account sandbox: an HTTP server that speaks the /cgi-bin/
endpoints our publisher uses (tokens, images, drafts, publishing, mass sending) with
WeChat's request shapes, limits, error codes and asynchronous publishing, so the real
wechatpy client can be tested against it over HTTP. State lives in one SQLite file that
several processes can share; faults (error codes, delays, dropped connections) can be
injected through the /sandbox/ admin endpoints. See server.py for the routes.
"""

from pipeline.sandbox.core import ENDPOINTS, Sandbox
from pipeline.sandbox.server import base_url, make_server, redact, start_in_thread

__all__ = ["ENDPOINTS", "Sandbox", "base_url", "make_server", "redact", "start_in_thread"]

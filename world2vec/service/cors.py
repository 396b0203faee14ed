"""Browser origins (CORS): which web pages on other origins may call the API.

``WORLD2VEC_CORS_ORIGINS`` lists them (comma-separated; ``*`` for any); none by
default, so a page elsewhere cannot read the answers. For an allowed origin:

- a preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) to
  an existing route is answered ``204`` with the route's methods, the two request
  headers a client needs (``Authorization``, ``Content-Type``) and a max age, before
  any key is asked for (browsers never send credentials in a preflight);
- every other answer, errors included, carries ``Access-Control-Allow-Origin``.

A disallowed origin gets no CORS header at all, and the browser keeps the answer from
the page. No credentials mode (keys travel in ``Authorization``, not cookies) and no
exposed headers (the answers' bodies say everything).

Why written here rather than with flask-cors: the behaviour wanted is these few
lines, and flask-cors's defaults differ from it in ways that matter (a preflight is
a 200, the sole configured origin is sent to requests that carry no ``Origin``, no
``Vary: Origin`` with one origin, every method is advertised for every route).
"""

from __future__ import annotations

from flask import Request, Response, current_app

ALLOWED_HEADERS = "Authorization, Content-Type"
PREFLIGHT_MAX_AGE = 600  # seconds a browser may cache a preflight's answer
_HIDDEN_METHODS = {"OPTIONS", "HEAD"}


class CorsPolicy:
    """The allowed origins and the two hooks that apply them."""

    def __init__(self, origins: tuple[str, ...]):
        self.any_origin = "*" in origins
        self.origins = frozenset(o.lower() for o in origins)

    @property
    def enabled(self) -> bool:
        return bool(self.origins)

    def allowed_origin(self, request: Request) -> str | None:
        """The value for Access-Control-Allow-Origin, or None for no CORS headers."""
        origin = request.headers.get("Origin")
        if not origin or not self.enabled:
            return None
        if self.any_origin:
            return "*"
        return origin if origin.lower() in self.origins else None

    def preflight(self, request: Request) -> Response | None:
        """The answer to a preflight from an allowed origin; None lets the request go on."""
        if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
            return None
        origin = self.allowed_origin(request)
        if origin is None or request.url_rule is None:
            return None  # Flask answers (Allow, or 404) and no CORS header is added
        # Every method of the path (each method may be a rule of its own), not just this rule's.
        adapter = current_app.create_url_adapter(request)
        methods = sorted(set(adapter.allowed_methods()) - _HIDDEN_METHODS) if adapter else []
        response = Response(status=204)
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = ", ".join(methods)
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
        response.vary.add("Origin")
        return response

    def decorate(self, request: Request, response: Response) -> Response:
        """Add the allow-origin header to an answer (a preflight already has it)."""
        if not self.enabled:
            return response
        response.vary.add("Origin")  # caches must keep answers to different origins apart
        origin = self.allowed_origin(request)
        if origin is not None:
            response.headers.setdefault("Access-Control-Allow-Origin", origin)
        return response

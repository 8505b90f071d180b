"""Gunicorn's access log through the same scrub as the application's logs.

Gunicorn formats access lines itself (not through Django's LOGGING), and the request line holds the
path: the hosted capture page's path is a client secret (`/v/vcs_...`). Run gunicorn with
`--logger-class config.gunicorn_logging.ScrubbingLogger` so that the secret never reaches a log.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from config.log_scrub import scrub

# The atoms that carry the URL: request line, path, query string, referer.
_URL_ATOMS = ("r", "U", "q", "f")


class ScrubbingLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for name in _URL_ATOMS:
            if isinstance(atoms.get(name), str):
                atoms[name] = scrub(atoms[name])
        return atoms

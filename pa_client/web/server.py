"""Running the application with uvicorn. The live streams never end by themselves, and uvicorn waits
for open connections before it shuts the application down: on Ctrl-C (or `stop()`), the streams are
told first, so that they close within a second and the server stops cleanly."""

from __future__ import annotations

from types import FrameType

import uvicorn
from fastapi import FastAPI

from pa_client.web.context import WebContext


class Server(uvicorn.Server):
    def __init__(
        self, app: FastAPI, host: str = "127.0.0.1", port: int = 8000, log_level: str = "warning"
    ) -> None:
        super().__init__(
            uvicorn.Config(
                app,
                host=host,
                port=port,
                log_level=log_level,
                ws="none",  # no websockets: the live pages use server-sent events
                timeout_graceful_shutdown=5,
            )
        )
        self.ctx: WebContext = app.state.ctx

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.ctx.stopping.set()
        super().handle_exit(sig, frame)

    def stop(self) -> None:
        """Stops a server running in another thread."""
        self.ctx.stopping.set()
        self.should_exit = True

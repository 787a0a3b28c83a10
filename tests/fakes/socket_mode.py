"""A fake Socket Mode endpoint: a WebSocket server that sends envelopes and records the acks."""

from __future__ import annotations

import json
import threading
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from tests.fakes.server import Background


class FakeSocketMode(Background):
    def __init__(self, envelopes: list[dict[str, Any]]) -> None:
        self.envelopes = envelopes
        self.acks: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self._ws: ServerConnection | None = None
        self.server = serve(self._connection, "127.0.0.1", 0)
        super().__init__(self.server.serve_forever, self.server.shutdown)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/link"

    def send(self, envelope: dict[str, Any]) -> None:
        """Send one more envelope on the connection the app opened."""
        with self.lock:
            ws = self._ws
        assert ws is not None, "the app has not connected"
        ws.send(json.dumps(envelope))

    def _connection(self, ws: ServerConnection) -> None:
        with self.lock:
            self._ws = ws
        ws.send(
            json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}})
        )
        for envelope in self.envelopes:
            ws.send(json.dumps(envelope))
        try:
            for message in ws:
                with self.lock:
                    self.acks.append(json.loads(message))
        except ConnectionClosed:
            return

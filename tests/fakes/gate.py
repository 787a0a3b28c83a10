"""A TCP gate in front of a real server (PostgreSQL here): open, refusing, or silent.

- open: every byte is passed both ways;
- refusing: nothing listens on the port (a connection is refused), open connections are cut;
- silent: connections are accepted and nothing is answered; bytes already on their way wait
  in the gate (a database that accepts connections and never answers).
Opening the gate again lets waiting bytes through, as a database that comes back would.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Literal

Mode = Literal["open", "refusing", "silent"]


class Gate:
    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.mode: Mode = "open"
        self._flowing = threading.Event()
        self._flowing.set()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._held: list[socket.socket] = []  # accepted while silent, not yet connected
        self._listener: socket.socket | None = None
        self.port = 0

    def start(self) -> Gate:
        self._listen()
        return self

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def open(self) -> None:
        self.mode = "open"
        if self._listener is None:
            self._listen()
        self._flowing.set()
        with self._lock:
            held, self._held = self._held, []
        for client in held:
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def silence(self) -> None:
        self.mode = "silent"
        self._flowing.clear()
        if self._listener is None:
            self._listen()

    def refuse(self) -> None:
        self.mode = "refusing"
        self._flowing.set()  # let parked pumps run into the cut sockets and end
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, []
            self._held = []
        if listener is not None:
            listener.close()
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def stop(self) -> None:
        self.refuse()

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed: refusing
            with self._lock:
                self._sockets.append(client)
                if self.mode == "silent":
                    self._held.append(client)  # never answered, until the gate opens
                    continue
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        try:
            server = socket.create_connection(self.target)
        except OSError:
            client.close()
            return
        with self._lock:
            self._sockets.append(server)
        for a, b in ((client, server), (server, client)):
            threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            self._flowing.wait()  # silent: hold what arrived
            if not data or self.mode == "refusing":
                for s in (source, sink):
                    with contextlib.suppress(OSError):
                        s.shutdown(socket.SHUT_RDWR)
                return
            try:
                sink.sendall(data)
            except OSError:
                return

"""A small TCP proxy in front of the test server that can go silent, as a network
does after a failover or a NAT timeout: sockets stay open, bytes are accepted
(the kernel acknowledges them) and nothing ever comes back.

`Blackhole(target)` listens on 127.0.0.1 at a free port and forwards both ways
until it goes silent: when `silence()` is called, or by itself as soon as a
client sends `trigger` (that message is swallowed, so the client waits for an
answer mid-statement). Silent, it keeps every socket open and answers nothing,
new connections included. Bounded: its threads are daemons, `close()` ends them,
and it closes itself after `lifetime` seconds whatever happens.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time


class Blackhole:
    def __init__(
        self,
        target: tuple[str, int] = ("127.0.0.1", 5432),
        *,
        trigger: bytes | None = None,
        lifetime: float = 120.0,
    ) -> None:
        self.target = target
        self.trigger = trigger
        self.silent = threading.Event()
        self.closed = threading.Event()
        self._until = time.monotonic() + lifetime
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, dbname: str, user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}"

    def silence(self) -> None:
        self.silent.set()

    def _keep(self, s: socket.socket) -> None:
        with self._lock:
            self._sockets.append(s)

    def _over(self) -> bool:
        return self.closed.is_set() or time.monotonic() > self._until

    def _accept(self) -> None:
        self.listener.settimeout(0.2)
        while not self._over():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._keep(client)
            if self.silent.is_set():
                continue  # accepted, never answered
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            self._keep(server)
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
        self.close()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        peer = {client: server, server: client}
        while not self._over():
            try:
                ready, _, _ = select.select([client, server], [], [], 0.2)
            except (OSError, ValueError):
                return
            for s in ready:
                try:
                    data = s.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                if s is client and self.trigger is not None and self.trigger in data:
                    self.silent.set()
                if self.silent.is_set():
                    continue  # swallowed: read (acknowledged) and never forwarded
                with contextlib.suppress(OSError):
                    peer[s].sendall(data)

    def close(self) -> None:
        self.closed.set()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for s in [self.listener, *sockets]:
            with contextlib.suppress(OSError):
                s.close()

    def __enter__(self) -> Blackhole:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

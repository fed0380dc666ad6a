"""A real uvicorn server in a child process, for the FastAPI integration tests.

`Server` starts `python -m uvicorn MODULE:app` on 127.0.0.1 at a free port, with
the app folder as working directory, keeps every stderr line (read by a thread)
and stops the process it started. Timeouts here are hang guards only.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

HANG = 60.0  # seconds: far above any honest start-up or check


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(
        self, folder: Path, app: str, env: dict[str, str], *, shell: str | None = None
    ) -> None:
        """`uvicorn app` on a free port; or, with `shell`, that command run by `sh -c`
        with `PORT` set and this interpreter's scripts first on `PATH`."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.lines: list[str] = []
        self._cond = threading.Condition()
        argv = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1"]
        argv += ["--port", str(self.port), "--no-access-log"]
        if shell is not None:
            argv = ["sh", "-c", shell]
        bin_dir = str(Path(sys.executable).parent)
        self.proc = subprocess.Popen(
            argv,
            cwd=folder,
            env={
                **env,
                "PYTHONPATH": os.pathsep.join(sys.path),
                "PORT": str(self.port),
                "PATH": bin_dir + os.pathsep + env.get("PATH", os.defpath),
            },
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    @property
    def output(self) -> str:
        with self._cond:
            return "\n".join(self.lines)

    def wait_line(self, needle: str) -> str:
        """The first output line containing `needle` (hang guard: HANG seconds)."""
        deadline = time.monotonic() + HANG
        with self._cond:
            while True:
                for line in self.lines:
                    if needle in line:
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    raise AssertionError(
                        f"no line with {needle!r}; output:\n{self.output_locked()}"
                    )
                self._cond.wait(min(left, 0.5))

    def output_locked(self) -> str:
        return "\n".join(self.lines)

    def accepts(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=5).close()
        except OSError:
            return False
        return True

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        """GET `path`, waiting for the server to listen first (hang guard)."""
        deadline = time.monotonic() + HANG
        while True:
            try:
                return httpx.get(self.url + path, timeout=HANG, **kwargs)
            except httpx.ConnectError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"server not answering; output:\n{self.output}") from None
                time.sleep(0.05)

    def poll_status(self, path: str, status: int) -> httpx.Response:
        """GET `path` until it answers `status` (the cache expires; hang guard)."""
        deadline = time.monotonic() + HANG
        while True:
            response = self.get(path)
            if response.status_code == status:
                return response
            if time.monotonic() > deadline:
                raise AssertionError(f"{path} stayed {response.status_code}: {response.text}")
            time.sleep(0.05)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=HANG)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=HANG)
        self._reader.join(timeout=HANG)
        return self.proc.returncode

"""The installed CLI, sending itself a signal at a chosen moment.

Usage: python signal_at.py WHERE SIGNUM DBINIT-ARGS...

WHERE is `log:EVENT` (right after dbinit logs EVENT, e.g. `log:apply.committed`,
logged just after the commit) or `render` (right after the report was written
to stdout). Then runs `dbinit.entry.main()` as the console script does: the
signal arrives at exactly that point of the run, every time.
"""

from __future__ import annotations

import os
import sys
from typing import Any


class _Log:
    def __init__(self, inner: Any, event: str, signum: int) -> None:
        self._inner, self._event, self._signum = inner, event, signum

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._inner, name)
        if not callable(method):
            return method

        def call(*args: Any, **kwargs: Any) -> Any:
            result = method(*args, **kwargs)
            if args and args[0] == self._event:
                os.kill(os.getpid(), self._signum)
            return result

        return call


def main() -> None:
    where, signum = sys.argv[1], int(sys.argv[2])
    sys.argv = ["dbinit", *sys.argv[3:]]
    if where.startswith("log:"):
        import dbinit.logs

        dbinit.logs.log = _Log(dbinit.logs.log, where[4:], signum)  # type: ignore[assignment]
    elif where == "render":
        import dbinit.render

        inner = dbinit.render.render

        def render(*args: Any, **kwargs: Any) -> Any:
            result = inner(*args, **kwargs)
            os.kill(os.getpid(), signum)
            return result

        dbinit.render.render = render
    else:
        raise SystemExit(f"unknown moment {where!r}")
    from dbinit.entry import main as dbinit_main

    dbinit_main()


if __name__ == "__main__":
    main()

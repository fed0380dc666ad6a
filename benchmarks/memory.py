"""Memory per byte of schema file: string literals, quoted names and comments.

    python benchmarks/memory.py [--sizes 1,5,20] [--dbinit PATH]

For each size (MB), a schema folder whose bulk is literals (a DEFAULT, a CHECK,
a view, a trigger, a quoted column name, comments) is generated; `dbinit init`,
`check` and `validate` run in fresh processes and their peak RSS (wait4's
ru_maxrss) is compared with the same command on a tiny schema. The goal is a
growth of at most about 10x the size of the schema files (it was ~240x: the
lexer's regular expressions backtracked once per character of a literal).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

GOAL = 10.0  # bytes of peak RSS per byte of schema files, at most


def literal_schema(folder: Path, size: int) -> int:
    """The same shape as tests/test_bounded.py; returns the bytes written."""
    n = max(size // 8, 10)
    quotes = "''" * (n // 2)
    text = (
        f"CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT DEFAULT '{'x' * n}',\n"
        f"  w TEXT CHECK (w <> 'it''s {'y' * n}'), \"{'q' * n}\" TEXT);\n"
        f"CREATE VIEW v AS SELECT '{'a' * n}' AS s, '{quotes}' AS quotes;\n"
        f"CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT '{'b' * n}'; END;\n"
        f"/* {'c' * n} */\n-- {'d' * n}\n"
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "001_big.sql").write_text(text, encoding="utf-8")
    return len(text.encode())


def peak_rss(dbinit: str, cwd: Path, command: str) -> tuple[int, int]:
    """(exit code, peak RSS in bytes) of one `dbinit COMMAND` process."""
    proc = subprocess.Popen(
        [dbinit, command, "--format", "json"],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if not k.startswith("DBINIT_")},
    )
    _, status, usage = os.wait4(proc.pid, 0)
    return os.waitstatus_to_exitcode(status), usage.ru_maxrss * 1024  # Linux: KiB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,5,20", help="schema sizes in MB (comma-separated)")
    parser.add_argument("--dbinit", default=str(Path(sys.executable).parent / "dbinit"))
    args = parser.parse_args()
    commands = ("init", "check", "validate")
    with tempfile.TemporaryDirectory() as tmp:
        base_dir = Path(tmp) / "base"
        literal_schema(base_dir / "schemas", 0)
        base = {c: peak_rss(args.dbinit, base_dir, c)[1] for c in commands}
        head = ("schema", "command", "exit", "peak RSS", "growth", "per byte")
        print("{:>9} {:9} {:>4} {:>10} {:>9} {:>8}".format(*head))
        for c in commands:
            print(f"{'tiny':>9} {c:9} {0:>4} {base[c] / 1e6:>8.1f}MB {'':>9} {'':>8}")
        worst = 0.0
        for mb in (float(s) for s in args.sizes.split(",")):
            work = Path(tmp) / f"s{mb}"
            size = literal_schema(work / "schemas", int(mb * 1024 * 1024))
            for c in commands:
                code, rss = peak_rss(args.dbinit, work, c)
                ratio = (rss - base[c]) / size
                worst = max(worst, ratio)
                print(
                    f"{size / 1e6:>7.1f}MB {c:9} {code:>4} {rss / 1e6:>8.1f}MB "
                    f"{(rss - base[c]) / 1e6:>7.1f}MB {ratio:>7.1f}x"
                )
    verdict = "met" if worst <= GOAL else "missed"
    print(
        f"worst growth {worst:.1f}x the schema files (goal: at most about {GOAL:.0f}x: {verdict})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Property: for random (old schema, new schema) pairs with random rows,
`repair --yes --allow-data-loss` ends in sync with the new schema and every
value of every column present in both survives (after the new column's
affinity), renamed columns included."""

from __future__ import annotations

import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dbinit.cli import app

TYPES = ["INTEGER", "TEXT", "REAL", "BLOB", "NUMERIC", ""]
values = (
    st.none()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False, width=64)
    | st.text(max_size=8)
    | st.binary(max_size=6)
)
col_names = st.text("abcdefghij_", min_size=1, max_size=6).filter(lambda s: s.lower() != "id")


@dataclass(frozen=True)
class NewCol:
    name: str
    type: str
    source: str | None  # old column it keeps (same name or renamed), None for a new column
    default: str | None


@st.composite
def evolutions(draw: st.DrawFn) -> tuple[list[tuple[str, str]], list[NewCol], list[tuple]]:
    old = draw(
        st.lists(
            st.tuples(col_names, st.sampled_from(TYPES)),
            min_size=1,
            max_size=5,
            unique_by=lambda c: c[0].lower(),
        )
    )
    taken = {n.lower() for n, _ in old}
    new: list[NewCol] = []
    for name, typ in old:
        fate = draw(st.sampled_from(["keep", "retype", "drop", "rename"]))
        if fate == "keep":
            new.append(NewCol(name, typ, name, None))
        elif fate == "retype":
            new.append(NewCol(name, draw(st.sampled_from(TYPES)), name, None))
        elif fate == "rename":
            fresh = draw(col_names.filter(lambda s: s.lower() not in taken))
            taken.add(fresh.lower())
            new.append(NewCol(fresh, draw(st.sampled_from(TYPES)), name, None))
    for _ in range(draw(st.integers(0, 2))):
        fresh = draw(col_names.filter(lambda s: s.lower() not in taken))
        taken.add(fresh.lower())
        new.append(
            NewCol(
                fresh,
                draw(st.sampled_from(TYPES)),
                None,
                draw(st.sampled_from([None, "0", "'x'", "(1.5)"])),
            )
        )
    new = draw(st.permutations(new))
    rows = draw(st.lists(st.tuples(*[values for _ in old]), max_size=15))
    return old, list(new), rows


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def new_schema(cols: list[NewCol]) -> str:
    lines = ["  id INTEGER PRIMARY KEY"]
    for c in cols:
        line = f"  {q(c.name)} {c.type}".rstrip()
        if c.default is not None:
            line += f" DEFAULT {c.default}"
        hint = f" -- dbinit: renamed-from={c.source}" if c.source and c.source != c.name else ""
        lines.append(line + "," + hint if c is not cols[-1] else line + hint)
    body = ",\n".join(lines[:1]) + ",\n" + "\n".join(lines[1:]) if cols else lines[0]
    return f"CREATE TABLE t (\n{body}\n);\nCREATE INDEX t_id ON t (id);\n"


def stored_as(declared_type: str, value: object) -> object:
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE TABLE x (c {declared_type})")
    conn.execute("INSERT INTO x VALUES (?)", (value,))
    (out,) = conn.execute("SELECT c FROM x").fetchone()
    conn.close()
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(evolutions())
def test_random_evolutions_keep_every_value(evolution) -> None:
    old, new, rows = evolution
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "app.db"
        conn = sqlite3.connect(db)
        cols = ", ".join(f"{q(n)} {t}".rstrip() for n, t in old)
        conn.execute(f"CREATE TABLE t (id INTEGER PRIMARY KEY, {cols})")
        names = ", ".join(q(n) for n, _ in old)
        marks = ", ".join("?" for _ in old)
        conn.executemany(f"INSERT INTO t ({names}) VALUES ({marks})", rows)
        conn.commit()
        before = {
            r[0]: dict(zip([n for n, _ in old], r[1:], strict=True))
            for r in conn.execute(f"SELECT id, {names} FROM t")
        }
        conn.close()

        folder = Path(tmp) / "schemas"
        folder.mkdir()
        (folder / "001.sql").write_text(new_schema(new), encoding="utf-8")
        args = ["-d", str(db), "-s", str(folder), "--format", "json"]
        res = runner.invoke(app, ["repair", "--yes", "--allow-data-loss", "--no-backup", *args])
        assert res.exit_code == 0, res.stdout
        res = runner.invoke(app, ["check", *args])
        assert res.exit_code == 0, res.stdout
        assert '"changes": []' in res.stdout, res.stdout

        conn = sqlite3.connect(db)
        kept = [c for c in new if c.source is not None]
        sel = ", ".join(["id", *(q(c.name) for c in kept)]) if kept else "id"
        after = {r[0]: r[1:] for r in conn.execute(f"SELECT {sel} FROM t")}
        conn.close()
        assert set(after) == set(before)
        for rid, old_values in before.items():
            for c, got in zip(kept, after[rid], strict=True):
                assert got == stored_as(c.type, old_values[c.source]), (c, old_values)

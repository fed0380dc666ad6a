"""Property (issue 15 §3, "plans that reach the declared state"): for random pairs of
PostgreSQL schemas (the one a database has, with rows, and the one the files
declare) built from enums, domains, composite types, functions, sequences, tables
with keys, foreign keys, checks and indexes, views and comments,
`repair --yes --prune --allow-data-loss` either

* applies, after which the structure is what the server builds from the declared
  SQL (a `pg_catalog` snapshot, independent of dbinit), `check` exits 0, a second
  run applies nothing and the rows of the tables both sides declare are kept; or
* refuses before anything runs (exit 3: rows that break a declared constraint, a
  value that does not convert, a change dbinit does not make in place), leaving
  the schema and the rows as they were.

Never 70 (a plan PostgreSQL rejects) and never a traceback. Examples are drawn
from a fixed seed in CI (`derandomize`); `DBINIT_PROPERTY_EXAMPLES=300` explores
more on a developer's machine."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import write_schema
from tests.postgres.casetable import differences, row_counts, snapshot, snapshot_of
from tests.postgres.conftest import create_database, drop_database
from tests.postgres.helpers import execute, run_json, url_of

EXAMPLES = int(os.environ.get("DBINIT_PROPERTY_EXAMPLES") or 12)


@dataclass(frozen=True)
class World:
    """One schema, as a few choices; `sql()` writes it, `rows()` fills it."""

    mood: tuple[str, ...] | None  # enum labels
    pos: str | None  # domain over integer: its CHECK ("" for none)
    pair: tuple[str, ...] | None  # composite type attributes
    fn: tuple[str, str] | None  # double_it(x integer): result type, multiplier
    counter: int | None  # a sequence's increment
    parent: str | None  # parent.name's type (None: no parent table)
    qty: str  # child.qty's type
    note: str | None  # child.note's type
    fk: bool  # child.parent_id REFERENCES parent
    qty_check: bool
    note_index: bool
    qty_unique: bool
    use_mood: bool
    use_pos: bool
    use_pair: bool
    view: bool  # a view over child.note
    fn_view: bool  # a view calling double_it
    comment: str | None

    def sql(self) -> str:
        out: list[str] = []
        if self.mood is not None:
            out.append(f"CREATE TYPE mood AS ENUM ({', '.join(repr(x) for x in self.mood)});")
        if self.pos is not None:
            out.append(f"CREATE DOMAIN pos AS integer {self.pos};")
        if self.pair is not None:
            out.append(f"CREATE TYPE pair AS ({', '.join(self.pair)});")
        if self.fn is not None:
            rt, n = self.fn
            out.append(
                f"CREATE FUNCTION double_it(x integer) RETURNS {rt} LANGUAGE sql IMMUTABLE "
                f"AS 'SELECT x * {n}';"
            )
        if self.counter is not None:
            out.append(f"CREATE SEQUENCE counter INCREMENT BY {self.counter};")
        if self.parent is not None:
            out.append(f"CREATE TABLE parent (id integer PRIMARY KEY, name {self.parent});")
        cols = ["id integer PRIMARY KEY"]
        ref = " REFERENCES parent (id)" if self.fk and self.parent is not None else ""
        cols.append(f"parent_id integer{ref}")
        cols.append(f"qty {self.qty}" + (" CHECK (qty > 0)" if self.qty_check else ""))
        if self.note is not None:
            cols.append(f"note {self.note}")
        if self.use_mood and self.mood is not None:
            cols.append("m mood")
        if self.use_pos and self.pos is not None:
            cols.append("p pos")
        if self.use_pair and self.pair is not None:
            cols.append("pr pair")
        out.append(f"CREATE TABLE child ({', '.join(cols)});")
        if self.note_index and self.note is not None:
            out.append("CREATE INDEX child_note ON child (note);")
        if self.qty_unique:
            out.append("CREATE UNIQUE INDEX child_qty ON child (qty);")
        if self.view and self.note is not None:
            out.append("CREATE VIEW child_notes AS SELECT id, note FROM child;")
        if self.fn_view and self.fn is not None:
            out.append("CREATE VIEW doubled AS SELECT id, double_it(id) AS d FROM child;")
        if self.comment is not None:
            out.append(f"COMMENT ON TABLE child IS '{self.comment}';")
        return "\n".join(out) + "\n"

    def rows(self) -> str:
        out: list[str] = []
        if self.parent is not None:
            out.append("INSERT INTO parent VALUES (1, 'one'), (2, 'two');")
        cols, one, two = ["id", "parent_id", "qty"], ["1", "1", "5"], ["2", "2", "7"]
        if self.note is not None:
            cols.append("note")
            one.append("'hello'")
            fits = self.note != "character varying(10)"
            two.append("'a longer note here'" if fits else "'hi there'")
        if self.use_mood and self.mood is not None:
            cols.append("m")
            one.append(repr(self.mood[0]))
            two.append(repr(self.mood[-1]))
        if self.use_pos and self.pos is not None:
            cols.append("p")
            one.append("5")
            two.append("NULL")
        out.append(
            f"INSERT INTO child ({', '.join(cols)}) VALUES ({', '.join(one)}), ({', '.join(two)});"
        )
        return "\n".join(out) + "\n"


@st.composite
def worlds(draw: st.DrawFn) -> World:
    labels = st.permutations(["happy", "ok", "sad"]).flatmap(
        lambda p: st.integers(1, 3).map(lambda n: tuple(p[:n]))
    )
    return World(
        mood=draw(st.none() | labels),
        pos=draw(st.none() | st.sampled_from(["", "CHECK (VALUE > 0)", "CHECK (VALUE < 100)"])),
        pair=draw(
            st.none() | st.sampled_from([("x integer",), ("x integer", "y text"), ("x bigint",)])
        ),
        fn=draw(st.none() | st.sampled_from([("integer", "2"), ("integer", "3"), ("bigint", "2")])),
        counter=draw(st.none() | st.sampled_from([1, 2])),
        parent=draw(
            st.none() | st.sampled_from(["text", "character varying(3)", "character varying(40)"])
        ),
        qty=draw(st.sampled_from(["integer", "bigint", "numeric", "text"])),
        note=draw(
            st.none() | st.sampled_from(["text", "character varying(10)", "character varying(40)"])
        ),
        fk=draw(st.booleans()),
        qty_check=draw(st.booleans()),
        note_index=draw(st.booleans()),
        qty_unique=draw(st.booleans()),
        use_mood=draw(st.booleans()),
        use_pos=draw(st.booleans()),
        use_pair=draw(st.booleans()),
        view=draw(st.booleans()),
        fn_view=draw(st.booleans()),
        comment=draw(st.none() | st.sampled_from(["first", "second"])),
    )


def _text_qty_check(w: World) -> World:
    """`CHECK (qty > 0)` on a text column does not build: such a world has none."""
    if w.qty == "text" and w.qty_check:
        return World(**{**w.__dict__, "qty_check": False})
    return w


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize="DBINIT_PROPERTY_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(current=worlds().map(_text_qty_check), declared=worlds().map(_text_qty_check))
def test_repair_reaches_the_declared_schema_or_refuses_untouched(
    current: World, declared: World, cli: Any, pg_url: str, pg_admin: psycopg.Connection[Any]
) -> None:
    name = create_database(pg_admin, prefix="dbinit_prop_")
    oracle = create_database(pg_admin, prefix="dbinit_prop_")
    try:
        target = url_of(pg_url, name)
        execute(target, current.sql() + current.rows())
        before, counts = snapshot(target), row_counts(target)
        with tempfile.TemporaryDirectory() as tmp:
            schemas = write_schema(Path(tmp) / "schemas", {"schema.sql": declared.sql()})
            args = ("repair", "--yes", "--prune", "--allow-data-loss")
            code, doc, seen = run_json(cli, target, schemas, *args)
            assert code in (0, 3), f"{current.sql()}\n-- declared --\n{declared.sql()}\n{seen}"
            if code == 3:
                assert differences(snapshot(target), before) == [], "a refusal changed the schema"
                assert row_counts(target) == counts, "a refusal changed rows"
                return
            with psycopg.connect(url_of(pg_url, oracle)) as conn:
                conn.execute(declared.sql().encode())
                want = snapshot_of(conn)
            assert differences(snapshot(target), want) == [], seen
            after = row_counts(target)
            assert {t: after.get(t) for t in counts if t in after} == {
                t: n for t, n in counts.items() if t in after
            }, "rows were not kept"
            code, doc, seen = run_json(cli, target, schemas, "check")
            assert code == 0, seen
            code, doc, seen = run_json(cli, target, schemas, *args)
            assert (code, doc.get("applied") or []) == (0, []), seen
    finally:
        drop_database(pg_admin, name)
        drop_database(pg_admin, oracle)


def test_the_worlds_build(pg_db: str) -> None:
    """The generator's SQL is valid on its own (a broken world would only ever
    test the files' error path)."""
    w = World(
        mood=("happy", "ok"),
        pos="CHECK (VALUE > 0)",
        pair=("x integer", "y text"),
        fn=("integer", "2"),
        counter=2,
        parent="character varying(40)",
        qty="integer",
        note="text",
        fk=True,
        qty_check=True,
        note_index=True,
        qty_unique=True,
        use_mood=True,
        use_pos=True,
        use_pair=True,
        view=True,
        fn_view=True,
        comment="first",
    )
    execute(pg_db, w.sql() + w.rows())
    assert row_counts(pg_db) == {"child": 2, "parent": 2}

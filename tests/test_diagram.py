"""`--format mermaid`: a Mermaid erDiagram of the declared (`validate
--schema-only`) or live (`inspect`) schema: entities, typed columns with
PK/FK/UK markers, one line per foreign key, names Mermaid cannot take raw quoted."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from dbinit.entities import Attribute, Entities, Entity, Relation, mermaid
from tests.conftest import REPO, digest, make_db, write_schema

QUOTED = """
CREATE TABLE "order items" (
    id INTEGER PRIMARY KEY,
    "unit price" DECIMAL(10, 2) NOT NULL,
    sku TEXT UNIQUE,
    order_id INTEGER REFERENCES orders(id)
);
CREATE TABLE orders (id INTEGER PRIMARY KEY, placed_by TEXT NOT NULL REFERENCES users(email));
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE NOT NULL);
"""


def blocks(text: str) -> dict[str, list[str]]:
    """entity name (as written) -> its attribute lines."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines()[1:]:
        head = re.fullmatch(r"    (.+) \{", line)
        if head:
            current = found.setdefault(head.group(1), [])
        elif line == "    }":
            current = None
        elif current is not None:
            current.append(line.strip())
    return found


def relations(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if "--" in line]


def test_schema_files_as_a_diagram(cli: Any, shipped_schemas: Path) -> None:
    res = cli("validate", "--schema-only", "--format", "mermaid")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert res.stdout.splitlines()[0] == "erDiagram"
    found = blocks(res.stdout)
    assert set(found) == {"users", "portfolio_snapshots"}
    assert "INTEGER id PK" in found["users"]
    assert "TEXT email UK" in found["users"]
    assert "TEXT user_id FK" in found["portfolio_snapshots"]
    assert relations(res.stdout) == ['users ||--o{ portfolio_snapshots : "user_id → email"']
    assert digest(Path("app.db")) is None


def test_names_mermaid_cannot_take_raw_are_quoted(cli: Any, tmp_path: Path) -> None:
    write_schema(tmp_path / "schemas", {"001.sql": QUOTED})
    res = cli("validate", "--schema-only", "--format", "mermaid")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    found = blocks(res.stdout)
    assert set(found) == {'"order items"', "orders", "users"}
    items = found['"order items"']
    assert 'DECIMAL(10_2) unit_price "unit price: DECIMAL(10, 2)"' in items
    assert "TEXT sku UK" in items
    assert "INTEGER order_id FK" in items
    assert sorted(relations(res.stdout)) == [
        'orders |o--o{ "order items" : "order_id → id"',
        'users ||--o{ orders : "placed_by → email"',
    ]


def test_inspect_draws_the_live_database(cli: Any, tmp_path: Path) -> None:
    make_db(tmp_path / "app.db", QUOTED)
    before = digest(tmp_path / "app.db")
    res = cli("inspect", "--format", "mermaid")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert set(blocks(res.stdout)) == {'"order items"', "orders", "users"}
    assert len(relations(res.stdout)) == 2
    assert digest(tmp_path / "app.db") == before


def test_inspect_leaves_out_the_history_table(cli: Any, shipped_schemas: Path) -> None:
    assert cli("init").exit_code == 0
    res = cli("inspect", "--format", "mermaid")
    assert res.exit_code == 0
    assert set(blocks(res.stdout)) == {"users", "portfolio_snapshots"}


def test_composite_keys_and_quotes_in_names() -> None:
    model = Entities(
        (
            Entity('we"ird', (Attribute("a b", "", ("PK",)), Attribute("c", "int", ("PK", "FK")))),
            Entity("p", (Attribute("x", "int", ("PK",)),)),
        ),
        (Relation('we"ird', ("c",), "p", ("x",), optional=False, one_to_one=False),),
    )
    text = mermaid(model)
    assert '    "we#quot;ird" {' in text
    assert '        ANY a_b PK "a b"' in text
    assert "        int c PK, FK" in text
    assert 'p ||--o{ "we#quot;ird" : "c → x"' in text


@pytest.mark.parametrize(
    "args",
    [("check",), ("init",), ("validate",), ("deploy",), ("history",)],
)
def test_mermaid_elsewhere_is_a_usage_error(
    cli: Any, shipped_schemas: Path, args: tuple[str, ...]
) -> None:
    res = cli(*args, "--format", "mermaid")
    assert res.exit_code == 2, (res.stdout, res.stderr)
    assert "mermaid" in res.stderr
    assert res.stdout == ""
    assert digest(Path("app.db")) is None


def test_an_error_is_still_reported(cli: Any, tmp_path: Path) -> None:
    res = cli("inspect", "--format", "mermaid")
    assert res.exit_code == 69, res.stdout
    assert "does not exist" in res.stdout
    assert "erDiagram" not in res.stdout


def test_the_docs_hold_the_seed_schema_diagram(cli: Any, shipped_schemas: Path) -> None:
    res = cli("validate", "--schema-only", "--format", "mermaid")
    assert res.exit_code == 0
    docs = (REPO / "docs" / "diagram.md").read_text(encoding="utf-8")
    assert f"```mermaid\n{res.stdout}```" in docs


def test_postgres_model_as_entities() -> None:
    """PostgreSQL's model (as its introspection builds it) draws the same way;
    types as the server prints them, spaces spelled `_` with the exact type noted."""
    from dbinit.postgres.entities import entities
    from dbinit.postgres.model import Column, Constraint, Schema, Table

    def con(name: str, table: str, kind: str, cols: tuple[str, ...], **kw: Any) -> Constraint:
        return Constraint(name, table, kind, "", False, False, columns=cols, **kw)

    users = Table(
        "users",
        (
            Column("id", "bigint", True, None, "ALWAYS", None, None),
            Column("email", "character varying(200)", True, None, None, None, None),
        ),
        (
            con("users_pkey", "users", "p", ("id",)),
            con("users_email_key", "users", "u", ("email",)),
        ),
    )
    posts = Table(
        "Posts",
        (
            Column("id", "bigint", True, None, "ALWAYS", None, None),
            Column("author", "bigint", False, None, None, None, None),
            Column("tags", "text[]", False, None, None, None, None),
        ),
        (
            con("Posts_pkey", "Posts", "p", ("id",)),
            con("fk", "Posts", "f", ("author",), ref_table="users", ref_columns=("id",)),
        ),
    )
    history = Table("_dbinit_history", (Column("id", "bigint", True, None, None, None, None),), ())
    schema = Schema("public", tables={"users": users, "Posts": posts, "_dbinit_history": history})
    text = mermaid(entities(schema))
    found = blocks(text)
    assert set(found) == {"Posts", "users"}
    assert found["users"] == [
        "bigint id PK",
        'character_varying(200) email UK "character varying(200)"',
    ]
    assert found["Posts"] == ["bigint id PK", "bigint author FK", "text[] tags"]
    assert relations(text) == ['users |o--o{ Posts : "author → id"']

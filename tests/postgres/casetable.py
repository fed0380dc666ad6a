"""The PostgreSQL case table (issue 15 §3): one file a case under `cases/`.

A case is what a user has (the current SQL, rows included), what they declare
(the schema file) and what must come of it. A file reads:

    -- source: where the case comes from (migra fixture, psqldef case, a report…)
    -- command: repair --prune            (optional: the applying command, default `init`;
                                           `repair` is confirmed with --yes)
    -- args: --allow-data-loss            (optional: extra arguments for that command)
    -- expect: applied                    (or `refused 3`, `refused 65`, …)
    -- message: a fragment of the refusal (optional, refusals only)
    -- verify: SELECT <a boolean> …       (optional, any number: must be true after)
    -- rows: users=3 posts=2              (optional: row counts after; default: every
                                           table of the current SQL keeps its count)
    -- == current ==
    CREATE TABLE …; INSERT …;
    -- == declared ==
    CREATE TABLE …;
    -- == expected ==                     (optional: the structure to reach, when it is
    …                                      not what the declared SQL builds directly)

For `applied` the runner checks, through the real CLI on a fresh database:
the command (`init` unless the case names another) exits 0; `check` then exits 0;
running the command again applies nothing; the
structure equals that of a database built directly from the declared (or
expected) SQL by the server itself, compared through `pg_catalog` with a
snapshot independent of dbinit's introspection; the rows are kept. For a refusal:
the exit code, the message, and nothing changed (structure and rows).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

CASES = Path(__file__).resolve().parent / "cases"
_SECTION = re.compile(r"^-- == (current|declared|expected) ==\s*$", re.M)
_DIRECTIVE = re.compile(r"^-- (source|command|args|expect|message|verify|rows):[ \t]*(.*)$", re.M)


@dataclass(frozen=True)
class Case:
    name: str
    source: str
    current: str
    declared: str
    expected: str
    expect: str = "applied"
    code: int = 0
    command: tuple[str, ...] = ("init",)
    args: tuple[str, ...] = ()
    message: str = ""
    verify: tuple[str, ...] = ()
    rows: dict[str, int] = field(default_factory=dict)


def load(path: Path) -> Case:
    text = path.read_text(encoding="utf-8")
    parts = _SECTION.split(text)
    head, sections = parts[0], dict(zip(parts[1::2], parts[2::2], strict=True))
    assert {"current", "declared"} <= sections.keys(), f"{path.name}: needs current and declared"
    found: dict[str, list[str]] = {}
    for key, value in _DIRECTIVE.findall(head):
        found.setdefault(key, []).append(value.strip())
    expect = (found.get("expect") or ["applied"])[0].split()
    assert expect[0] in {"applied", "refused"}, f"{path.name}: expect applied|refused N"
    rows: dict[str, int] = {}
    for spec in " ".join(found.get("rows", [])).split():
        table, _, count = spec.partition("=")
        rows[table] = int(count)
    assert found.get("source"), f"{path.name}: say where the case comes from (-- source:)"
    return Case(
        name=path.stem,
        source=found["source"][0],
        current=sections["current"],
        declared=sections["declared"],
        expected=sections.get("expected", sections["declared"]),
        expect=expect[0],
        code=int(expect[1]) if expect[0] == "refused" else 0,
        command=_confirmed(tuple((found.get("command") or ["init"])[0].split())),
        args=tuple((found.get("args") or [""])[0].split()),
        message=(found.get("message") or [""])[0],
        verify=tuple(found.get("verify", [])),
        rows=rows,
    )


def _confirmed(command: tuple[str, ...]) -> tuple[str, ...]:
    """`repair` confirms with --yes (no one is at a prompt here)."""
    if command[0] == "repair" and "--yes" not in command and "-y" not in command:
        return (*command, "--yes")
    return command


def all_cases() -> list[Case]:
    return [load(p) for p in sorted(CASES.glob("*.sql"))]


# --- the oracle: the schema as pg_catalog describes it ------------------------------

_QUERIES = {
    "relations": """
        SELECT c.relname, c.relkind::text, c.relpersistence::text, c.relrowsecurity,
               c.relforcerowsecurity, c.relreplident::text, c.relispartition,
               pg_get_expr(c.relpartbound, c.oid), pg_get_partkeydef(c.oid),
               (SELECT string_agg(p.relname, ',' ORDER BY p.relname) FROM pg_inherits i
                  JOIN pg_class p ON p.oid = i.inhparent WHERE i.inhrelid = c.oid),
               obj_description(c.oid, 'pg_class'), nullif(c.reloftype, 0)::regtype::text,
               c.reloptions::text,
               (SELECT t.reloptions::text FROM pg_class t WHERE t.oid = c.reltoastrelid)
        FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
          AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c') ORDER BY 1""",
    "columns": """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text,
               CASE WHEN a.attcollation <> t.typcollation THEN a.attcollation::regcollation::text END,
               col_description(c.oid, a.attnum), a.attislocal, coalesce(a.attstattarget, -1),
               -- the attribute options (this server's patched build adds its own
               -- pg_attver=… to every column: not a declaration, left out)
               ARRAY(SELECT o FROM unnest(a.attoptions) o WHERE o NOT LIKE 'pg\\_attver=%'
                     ORDER BY o)::text, a.attstorage::text, a.attcompression::text
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
          AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, 2""",
    "constraints": """
        SELECT coalesce(t.relname, y.typname), k.conname, pg_get_constraintdef(k.oid),
               k.convalidated, k.connoinherit, obj_description(k.oid, 'pg_constraint')
        FROM pg_constraint k LEFT JOIN pg_class t ON t.oid = k.conrelid
        LEFT JOIN pg_type y ON y.oid = k.contypid
        WHERE k.connamespace = 'public'::regnamespace ORDER BY 1, 2, 3""",
    "indexes": """
        SELECT t.relname, c.relname, pg_get_indexdef(i.indexrelid), i.indisvalid,
               obj_description(c.oid, 'pg_class'), i.indisclustered,
               (SELECT string_agg(a.attnum || '=' || a.attstattarget, ',' ORDER BY a.attnum)
                  FROM pg_attribute a WHERE a.attrelid = i.indexrelid
                   AND coalesce(a.attstattarget, -1) <> -1)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        JOIN pg_class t ON t.oid = i.indrelid
        WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1, 2""",
    "views": """
        SELECT c.relname, pg_get_viewdef(c.oid) FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('v', 'm') ORDER BY 1""",
    "sequences": """
        SELECT c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmax,
               s.seqmin, s.seqcache, s.seqcycle,
               (SELECT r.relname || '.' || a.attname FROM pg_depend d
                  JOIN pg_class r ON r.oid = d.refobjid
                  JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                 WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                   AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))
        FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
        WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1""",
    "types": """
        SELECT t.typname, t.typtype::text,
               (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e
                 WHERE e.enumtypid = t.oid),
               CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
               t.typnotnull, t.typdefault, obj_description(t.oid, 'pg_type')
        FROM pg_type t WHERE t.typnamespace = 'public'::regnamespace
          AND t.typtype IN ('e', 'd', 'c', 'r')
          AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
        ORDER BY 1""",
    "functions": """
        SELECT p.proname, pg_get_function_identity_arguments(p.oid),
               pg_get_function_result(p.oid), pg_get_functiondef(p.oid)
        FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace AND p.prokind IN ('f', 'p')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                          AND d.objid = p.oid AND d.deptype = 'e')
        ORDER BY 1, 2""",
    "triggers": """
        SELECT c.relname, g.tgname, pg_get_triggerdef(g.oid), g.tgenabled::text
        FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
        WHERE c.relnamespace = 'public'::regnamespace AND NOT g.tgisinternal ORDER BY 1, 2""",
    "policies": """
        SELECT tablename, policyname, permissive, roles::text, cmd, qual, with_check
        FROM pg_policies WHERE schemaname = 'public' ORDER BY 1, 2""",
    "collations": """
        SELECT collname, collprovider::text, collisdeterministic, collcollate, collctype,
               colliculocale
        FROM pg_collation WHERE collnamespace = 'public'::regnamespace ORDER BY 1""",
    "text_search": """
        SELECT 'dictionary', d.dictname, (SELECT tmplname::text FROM pg_ts_template WHERE oid = d.dicttemplate), d.dictinitoption
        FROM pg_ts_dict d WHERE d.dictnamespace = 'public'::regnamespace
        UNION ALL
        SELECT 'configuration', c.cfgname, (SELECT prsname::text FROM pg_ts_parser WHERE oid = c.cfgparser),
               (SELECT string_agg(m.maptokentype || ':' || m.mapseqno || ':'
                                  || m.mapdict::regdictionary::text, ','
                                  ORDER BY m.maptokentype, m.mapseqno)
                  FROM pg_ts_config_map m WHERE m.mapcfg = c.oid)
        FROM pg_ts_config c WHERE c.cfgnamespace = 'public'::regnamespace ORDER BY 1, 2""",
    "extensions": """
        SELECT e.extname, n.nspname FROM pg_extension e
        JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql' ORDER BY 1""",
}


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every managed kind of object in schema `public`, dbinit's own tables left out."""
    with psycopg.connect(url, autocommit=True) as conn:
        return snapshot_of(conn)


def snapshot_of(conn: psycopg.Connection[Any]) -> dict[str, list[tuple[Any, ...]]]:
    got = {kind: conn.execute(q.encode()).fetchall() for kind, q in _QUERIES.items()}
    return {kind: [r for r in rows if not _own(r)] for kind, rows in got.items()}


def _own(row: tuple[Any, ...]) -> bool:
    first = row[0]
    return isinstance(first, str) and first.startswith("_dbinit_")


def row_counts(url: str) -> dict[str, int]:
    """Rows of every ordinary and partitioned table of `public` (dbinit's own left out)."""
    with psycopg.connect(url, autocommit=True) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace"
                " AND relkind IN ('r', 'p') AND NOT relispartition"
                " AND relname NOT LIKE '\\_dbinit\\_%' ORDER BY 1"
            ).fetchall()
        ]
        return {
            n: int(conn.execute(f'SELECT count(*) FROM "{n}"'.encode()).fetchone()[0])  # type: ignore[index]
            for n in names
        }


def differences(got: dict[str, list[Any]], want: dict[str, list[Any]]) -> list[str]:
    """Readable lines: what one snapshot has that the other has not, kind by kind."""
    lines: list[str] = []
    for kind in want:
        g, w = set(got.get(kind, [])), set(want[kind])
        lines += [f"{kind}: missing {row!r}" for row in sorted(w - g, key=repr)]
        lines += [f"{kind}: unexpected {row!r}" for row in sorted(g - w, key=repr)]
    return lines

"""The typed schema model shared by both sides of the diff.

Frozen dataclasses. Fields that say *what an object means* take part in
equality; provenance (declared names, original SQL, file and line, rename
hints) is `compare=False`, so two spellings of one definition compare equal
while messages still know where a definition came from. Names in compared
fields are folded as SQLite folds them (`sqltext.fold`).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SourceLoc:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # folded name
    type: str  # declared type, normalized, upper case ("" when none)
    notnull: bool
    default: str | None  # normalized DEFAULT expression
    collate: str | None  # upper case, None when not declared
    hidden: int  # table_xinfo: 0 plain, 1 hidden, 2 generated VIRTUAL, 3 generated STORED
    generated: str | None  # normalized expression of a generated column
    name: str = field(compare=False)
    definition: str = field(default="", compare=False)  # the clause as declared
    references: bool = field(default=False, compare=False)  # column-level REFERENCES
    renamed_from: str | None = field(default=None, compare=False)
    declared_type: str = field(default="", compare=False)  # as written, for messages
    declared_default: str | None = field(default=None, compare=False)  # as written
    loc: SourceLoc | None = field(default=None, compare=False)  # the column's own line

    @property
    def is_generated(self) -> bool:
        return self.hidden in (2, 3)


@dataclass(frozen=True, slots=True)
class ForeignKey:
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]  # empty when the parent's PRIMARY KEY is implied
    on_update: str
    on_delete: str
    match: str

    def describe(self) -> str:
        ref = (
            f"{self.ref_table}({', '.join(self.ref_columns)})"
            if self.ref_columns
            else self.ref_table
        )
        text = f"({', '.join(self.columns)}) REFERENCES {ref}"
        if self.on_delete != "NO ACTION":
            text += f" ON DELETE {self.on_delete}"
        if self.on_update != "NO ACTION":
            text += f" ON UPDATE {self.on_update}"
        return text


@dataclass(frozen=True, slots=True)
class Check:
    expr: str  # normalized
    column: str | None  # folded column name for a column-level CHECK
    sql: str = field(default="", compare=False)  # the expression as written, for messages


@dataclass(frozen=True, slots=True)
class Table:
    key: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    uniques: tuple[tuple[str, ...], ...]  # sorted; from UNIQUE constraints
    checks: tuple[Check, ...]  # sorted
    foreign_keys: tuple[ForeignKey, ...]  # sorted
    strict: bool
    without_rowid: bool
    autoincrement: bool
    virtual: str | None  # normalized CREATE VIRTUAL TABLE text; None for a plain table
    name: str = field(compare=False)
    sql: str = field(compare=False)
    loc: SourceLoc | None = field(default=None, compare=False)
    renamed_from: str | None = field(default=None, compare=False)
    # The column that is another name for the rowid (an INTEGER PRIMARY KEY); None
    # when the rowid is hidden or there is none (WITHOUT ROWID, virtual tables).
    rowid_alias: str | None = field(default=None, compare=False)

    def column(self, key: str) -> Column | None:
        for col in self.columns:
            if col.key == key:
                return col
        return None

    @property
    def column_keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns)


@dataclass(frozen=True, slots=True)
class IndexColumn:
    name: str | None  # None for an expression
    descending: bool
    collation: str


@dataclass(frozen=True, slots=True)
class Index:
    """Compared by its canonical text, which holds every fact below."""

    key: str
    table: str  # folded table name
    unique: bool
    normalized: str  # canonical CREATE INDEX text: the definition compared
    name: str = field(compare=False)
    table_name: str = field(compare=False)
    sql: str = field(compare=False)
    columns: tuple[IndexColumn, ...] = field(default=(), compare=False)
    where: str | None = field(default=None, compare=False)  # a partial index's condition
    loc: SourceLoc | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class View:
    key: str
    normalized: str
    name: str = field(compare=False)
    sql: str = field(compare=False)
    table_name: str = field(default="", compare=False)  # first table it reads
    loc: SourceLoc | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Trigger:
    key: str
    table: str
    normalized: str
    name: str = field(compare=False)
    table_name: str = field(compare=False)
    sql: str = field(compare=False)
    loc: SourceLoc | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Schema:
    """Every user object of one database, keyed by folded name."""

    tables: dict[str, Table] = field(default_factory=dict)
    indexes: dict[str, Index] = field(default_factory=dict)
    views: dict[str, View] = field(default_factory=dict)
    triggers: dict[str, Trigger] = field(default_factory=dict)
    version: int | None = None  # PRAGMA schema_version when read: equal means unchanged
    history: str | None = None  # why dbinit cannot record runs in its history table, if so

    def is_empty(self) -> bool:
        return not (self.tables or self.indexes or self.views or self.triggers)

    def object_count(self) -> int:
        return len(self.tables) + len(self.indexes) + len(self.views) + len(self.triggers)

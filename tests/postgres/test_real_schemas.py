"""Real-world schemas round-trip (issue 15 §3): the application's own SQL builds
a database (with psql, as the app would), `pg_dump --schema-only` of it is used
unchanged as the schema files; then `check` is 0 on the database the app built,
and `init` on an empty database applies it, `check` is 0 and a second `init`
applies nothing. Sources and licences: `data/README.md`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from tests.postgres.conftest import create_database, drop_database
from tests.postgres.helpers import run_json, url_of

DATA = Path(__file__).resolve().parent / "data"
SCHEMAS = sorted(p.stem for p in DATA.glob("*.sql"))

pytestmark = pytest.mark.skipif(
    shutil.which("psql") is None or shutil.which("pg_dump") is None,
    reason="needs psql and pg_dump",
)


@pytest.fixture
def databases(pg_url: str, pg_admin: psycopg.Connection[Any]) -> Any:
    made: list[str] = []

    def make() -> str:
        made.append(create_database(pg_admin, prefix="dbinit_real_"))
        return url_of(pg_url, made[-1])

    yield make
    for name in made:
        drop_database(pg_admin, name)


def _dump_is_schema_files_unchanged(
    cli: Any, databases: Any, tmp_path: Path, app_built: str, *options: str
) -> None:
    """`pg_dump --schema-only` of the database the app built, used unchanged as
    the schema files: `check` 0 there; `init` on an empty database, `check` 0,
    a second `init` applies nothing."""
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    dump = subprocess.run(
        ["pg_dump", "--schema-only", "--dbname", app_built],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    (schemas / "schema.sql").write_text(dump, encoding="utf-8")

    code, doc, seen = run_json(cli, app_built, schemas, "check", *options)
    assert code == 0, seen
    assert [c for c in doc["changes"] if not c["kind"].startswith("unmanaged_")] == [], seen

    empty = databases()
    code, doc, seen = run_json(cli, empty, schemas, "init", *options)
    assert code == 0, seen
    code, doc, seen = run_json(cli, empty, schemas, "check", *options)
    assert code == 0, seen
    assert [c for c in doc["changes"] if not c["kind"].startswith("unmanaged_")] == [], seen
    code, doc, seen = run_json(cli, empty, schemas, "init", *options)
    assert (code, doc.get("applied") or []) == (0, []), seen


@pytest.mark.parametrize("name", SCHEMAS)
def test_a_pg_dump_of_the_apps_own_schema_works_as_schema_files_unchanged(
    name: str, cli: Any, databases: Any, tmp_path: Path
) -> None:
    app_built = databases()
    subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(DATA / f"{name}.sql"), app_built],
        check=True,
        capture_output=True,
        timeout=120,
    )
    _dump_is_schema_files_unchanged(cli, databases, tmp_path, app_built)


# MusicBrainz's layout: its own schema, the extensions in `public`, and a geo
# index over earthdistance's ll_to_earth, an SQL function whose body names the
# `earth` type unqualified (so planning any query on the table needs `public` on
# the search_path), on a table with a serial key. Written for this test.
_MANAGED_SCHEMA_BESIDE_EXTENSIONS_IN_PUBLIC = """
CREATE EXTENSION IF NOT EXISTS cube WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS earthdistance WITH SCHEMA public;
CREATE SCHEMA geo;
SET search_path = geo, public;
CREATE TABLE place (id serial PRIMARY KEY, name varchar NOT NULL, coordinates point);
CREATE INDEX place_idx_geo ON place USING gist (ll_to_earth(coordinates[0], coordinates[1]))
    WHERE coordinates IS NOT NULL;
INSERT INTO place (name, coordinates) VALUES ('Berlin', point(52.5, 13.4));
"""


def test_an_app_schema_indexed_through_an_extension_function_in_public_round_trips(
    cli: Any, databases: Any, tmp_path: Path
) -> None:
    """MusicBrainz: the managed schema is not `public` and an index uses
    earthdistance (in `public`): reading the serial's state plans a query on the
    table, which inlines ll_to_earth; it must resolve `earth` (70 before)."""
    app_built = databases()
    subprocess.run(
        [
            "psql",
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            _MANAGED_SCHEMA_BESIDE_EXTENSIONS_IN_PUBLIC,
            app_built,
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    _dump_is_schema_files_unchanged(cli, databases, tmp_path, app_built, "--pg-schema", "geo")


def test_pagilas_payment_partitions_by_inheritance_are_a_clear_refusal(
    cli: Any, databases: Any, tmp_path: Path
) -> None:
    """Pagila's payment partitions are tables that INHERIT payment (the pre-10
    way): table inheritance is refused by design (65, naming the statement and
    the way out), on the database the app built and on an empty one, which
    stays empty."""
    app_built = databases()
    for part in (DATA / "pagila.sql", DATA / "partial" / "pagila_inherits.sql"):
        subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(part), app_built],
            check=True,
            capture_output=True,
            timeout=120,
        )
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    dump = subprocess.run(
        ["pg_dump", "--schema-only", "--dbname", app_built],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    (schemas / "schema.sql").write_text(dump, encoding="utf-8")
    empty = databases()
    for db, command in ((app_built, "check"), (empty, "init")):
        code, doc, seen = run_json(cli, db, schemas, command)
        assert code == 65, seen
        assert "table inheritance (INHERITS payment) is not managed" in doc["error"]["message"], (
            seen
        )
    with psycopg.connect(empty, autocommit=True) as conn:
        left = conn.execute(
            "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"
        ).fetchone()
    assert left == (0,)


_DJANGO_MODELS = """
from django.db import models


class Supplier(models.Model):
    name = models.CharField(max_length=80, unique=True)
    email = models.EmailField(blank=True)
    joined = models.DateTimeField(auto_now_add=True)


class Product(models.Model):
    class Kind(models.TextChoices):
        BOOK = "book"
        TOOL = "tool"

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="products")
    sku = models.CharField(max_length=20)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.BOOK)
    price = models.DecimalField(max_digits=9, decimal_places=2)
    stock = models.PositiveIntegerField(default=0)
    uid = models.UUIDField(null=True)
    extra = models.JSONField(default=dict)
    owner = models.ForeignKey("auth.User", null=True, on_delete=models.SET_NULL)

    class Meta:
        unique_together = [("supplier", "sku")]
        indexes = [models.Index(fields=["kind", "-price"], name="shop_kind_price")]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="price_not_negative"),
            models.UniqueConstraint(
                fields=["sku"], condition=models.Q(stock__gt=0), name="sku_in_stock"
            ),
        ]
"""

_DJANGO_MIGRATE = """
import sys
import django
from django.conf import settings

settings.configure(
    INSTALLED_APPS=[
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
        "shop",
    ],
    DATABASES={"default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": sys.argv[1], "USER": sys.argv[2], "HOST": sys.argv[3], "PORT": sys.argv[4],
    }},
    USE_TZ=True,
    DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
)
django.setup()
from django.core.management import call_command

call_command("makemigrations", "shop", verbosity=0)
call_command("migrate", verbosity=0)
"""


def test_a_pg_dump_of_a_database_djangos_own_migrations_built_works_unchanged(
    cli: Any, databases: Any, tmp_path: Path
) -> None:
    """Django's contrib apps (auth, contenttypes, sessions, admin) and a small
    app of its own (FKs, unique_together, an index with a descending column, a
    CheckConstraint, a partial UniqueConstraint), built by `manage.py migrate`."""
    django = pytest.importorskip("django")
    del django
    app = tmp_path / "project"
    (app / "shop").mkdir(parents=True)
    (app / "shop" / "__init__.py").write_text("", encoding="utf-8")
    (app / "shop" / "models.py").write_text(_DJANGO_MODELS, encoding="utf-8")
    (app / "migrate.py").write_text(_DJANGO_MIGRATE, encoding="utf-8")
    app_built = databases()
    p = conninfo_to_dict(app_built)
    done = subprocess.run(
        [
            sys.executable,
            "migrate.py",
            str(p["dbname"]),
            str(p.get("user") or "postgres"),
            str(p.get("host") or "127.0.0.1"),
            str(p.get("port") or 5432),
        ],
        cwd=app,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    _dump_is_schema_files_unchanged(cli, databases, tmp_path, app_built)
    dump = (tmp_path / "schemas" / "schema.sql").read_text(encoding="utf-8")
    for made in (
        "auth_user_groups",
        "django_session",
        "django_admin_log",
        "price_not_negative",
        "sku_in_stock",
        "shop_kind_price",
        "shop_product_supplier_id_sku_",
    ):
        assert made in dump


@pytest.mark.parametrize("qualified", [False, True])
def test_an_extension_type_in_public_works_with_another_managed_schema(
    qualified: bool, cli: Any, databases: Any, tmp_path: Path
) -> None:
    """citext installed in `public` (by the app or its DBA; the files say so as
    `pg_dump` writes it), the managed schema `app`: the type resolves unqualified
    too, in the scratch build and in apply."""
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    kind = "public.citext" if qualified else "citext"
    (schemas / "schema.sql").write_text(
        "CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;\n"
        f"CREATE TABLE users (id integer PRIMARY KEY, email {kind} UNIQUE);\n"
        f"CREATE VIEW emails AS SELECT email::{kind} AS e FROM users;\n",
        encoding="utf-8",
    )
    db = databases()
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION citext SCHEMA public")
    code, doc, seen = run_json(cli, db, schemas, "init", "--pg-schema", "app")
    assert code == 0, seen
    code, doc, seen = run_json(cli, db, schemas, "check", "--pg-schema", "app")
    assert code == 0, seen
    code, doc, seen = run_json(cli, db, schemas, "init", "--pg-schema", "app")
    assert (code, doc.get("applied") or []) == (0, []), seen
    with psycopg.connect(db, autocommit=True) as conn:
        row = conn.execute(
            "SELECT format_type(atttypid, NULL) FROM pg_attribute"
            " WHERE attrelid = 'app.users'::regclass AND attname = 'email'"
        ).fetchone()
    assert row == ("public.citext",) or row == ("citext",)


def test_an_extension_in_public_is_created_by_init_with_another_managed_schema(
    cli: Any, databases: Any, tmp_path: Path
) -> None:
    """`CREATE EXTENSION … WITH SCHEMA public` in the files, the managed schema
    `app`, an empty database: init creates the extension there (it used to be
    unmanaged: the table's CREATE failed); an extension the files do not declare
    stays unmanaged, never an extra."""
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    (schemas / "schema.sql").write_text(
        "CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;\n"
        "CREATE TABLE users (id integer PRIMARY KEY, email public.citext UNIQUE);\n",
        encoding="utf-8",
    )
    db = databases()
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION hstore SCHEMA public")
    code, doc, seen = run_json(cli, db, schemas, "init", "--pg-schema", "app")
    assert code == 0, seen
    with psycopg.connect(db, autocommit=True) as conn:
        row = conn.execute(
            "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'citext'"
        ).fetchone()
    assert row == ("public",)
    code, doc, seen = run_json(cli, db, schemas, "check", "--pg-schema", "app")
    assert code == 0, seen
    kinds = {(c["kind"], c["name"]) for c in doc["changes"]}
    assert kinds == {("unmanaged_extension", "hstore")}, seen
    code, doc, seen = run_json(cli, db, schemas, "validate", "--pg-schema", "app")
    assert code == 0, seen
    code, doc, seen = run_json(cli, db, schemas, "init", "--pg-schema", "app")
    assert (code, doc.get("applied") or []) == (0, []), seen

-- source: pg-schema-diff acceptance "Change BIGINT to TIMESTAMP"; issue 15 §3 (type changes with no implicit cast)
-- command: repair
-- args: --yes
-- expect: refused 3
-- message: using=
-- == current ==
CREATE TABLE "Foobar" (id integer PRIMARY KEY, some_time_col bigint);
INSERT INTO "Foobar" VALUES (1, 1700000000), (2, NULL);
-- == declared ==
CREATE TABLE "Foobar" (id integer PRIMARY KEY, some_time_col timestamp);

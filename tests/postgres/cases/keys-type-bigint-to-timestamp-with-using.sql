-- source: pg-schema-diff acceptance "Change BIGINT to TIMESTAMP" (converted with a using= hint)
-- command: repair
-- args: --yes
-- verify: SELECT some_time_col = '2023-11-14 22:13:20' FROM "Foobar" WHERE id = 1
-- == current ==
CREATE TABLE "Foobar" (id integer PRIMARY KEY, some_time_col bigint);
INSERT INTO "Foobar" VALUES (1, 1700000000), (2, NULL);
-- == declared ==
CREATE TABLE "Foobar" (
  id integer PRIMARY KEY,
  some_time_col timestamp -- dbinit: using=to_timestamp(some_time_col) AT TIME ZONE 'UTC'
);

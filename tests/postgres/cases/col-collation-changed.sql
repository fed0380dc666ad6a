-- source: pg-schema-diff acceptance "Modify collation (default -> non-default)"
-- command: repair --yes
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY, v varchar(255) COLLATE "C" NOT NULL);
INSERT INTO foobar VALUES (1, 'x');
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, v varchar(255) COLLATE "POSIX" NOT NULL);

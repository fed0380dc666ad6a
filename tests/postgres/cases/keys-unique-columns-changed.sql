-- source: pg-differ "unique" (a UNIQUE widened to two columns)
-- == current ==
CREATE TABLE roles (id bigint, type smallint, CONSTRAINT roles_key UNIQUE (id));
INSERT INTO roles VALUES (1, 1), (2, 1);
-- == declared ==
CREATE TABLE roles (id bigint, type smallint, CONSTRAINT roles_key UNIQUE (id, type));

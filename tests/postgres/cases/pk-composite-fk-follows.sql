-- source: pg-schema-diff acceptance "Switch FK owning table (analog tables in different schemas stay same)" (a primary key widened while the foreign key on it widens too)
-- == current ==
CREATE TABLE foobar (id text PRIMARY KEY);
CREATE TABLE "foobar fk" (fk_id text);
ALTER TABLE "foobar fk" ADD CONSTRAINT some_fk FOREIGN KEY (fk_id) REFERENCES foobar (id);
INSERT INTO foobar VALUES ('a'), ('b');
INSERT INTO "foobar fk" VALUES ('a'), ('b'), (NULL);
-- == declared ==
CREATE TABLE foobar (id text, val text NOT NULL DEFAULT 'v', PRIMARY KEY (id, val));
CREATE TABLE "foobar fk" (fk_id text, fk_val text);
ALTER TABLE "foobar fk" ADD CONSTRAINT some_fk FOREIGN KEY (fk_id, fk_val) REFERENCES foobar (id, val);

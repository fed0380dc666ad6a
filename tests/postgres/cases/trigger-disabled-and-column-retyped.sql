-- source: issue 15 §5 review of the facet refactor (a trigger whose only change is its enabled state is not dropped around a type change of a column its WHEN reads)
-- command: repair
-- == current ==
CREATE TABLE t (id int, v int);
INSERT INTO t VALUES (1, 2);
CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER tg BEFORE UPDATE OF v ON t FOR EACH ROW WHEN (NEW.v > 0) EXECUTE FUNCTION f();
-- == declared ==
CREATE TABLE t (id int, v bigint);
CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER tg BEFORE UPDATE OF v ON t FOR EACH ROW WHEN (NEW.v > 0) EXECUTE FUNCTION f();
ALTER TABLE t DISABLE TRIGGER tg;

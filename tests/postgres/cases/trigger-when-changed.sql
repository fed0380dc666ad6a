-- source: pg-schema-diff acceptance "Change trigger when clause"
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY, v integer, updated_at timestamptz);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
CREATE TRIGGER touch_it BEFORE UPDATE ON foobar FOR EACH ROW EXECUTE FUNCTION touch();
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, v integer, updated_at timestamptz);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
CREATE TRIGGER touch_it BEFORE UPDATE ON foobar FOR EACH ROW WHEN (OLD.v IS DISTINCT FROM NEW.v) EXECUTE FUNCTION touch();

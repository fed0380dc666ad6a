-- source: pg-schema-diff acceptance "Create trigger with quoted name"
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY, updated_at timestamptz);
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, updated_at timestamptz);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
CREATE TRIGGER "Touch_It" BEFORE UPDATE ON foobar FOR EACH ROW EXECUTE FUNCTION touch();

-- source: issue 15 §4 (INHERITS was silently not applied while check said in sync; psqldef case "CreateTableWithInherits" in spirit)
-- expect: refused 65
-- message: 001_schema.sql:3: table inheritance (INHERITS parent)
-- == current ==
CREATE TABLE parent (id integer, name text);
-- == declared ==
CREATE TABLE parent (id integer, name text);
CREATE TABLE child (note text) INHERITS (parent);

-- source: psqldef case "SelfReferencingForeignKey"
-- == current ==
CREATE TABLE nodes (id integer PRIMARY KEY, parent_id integer);
INSERT INTO nodes VALUES (1, NULL), (2, 1);
-- == declared ==
CREATE TABLE nodes (id integer PRIMARY KEY, parent_id integer REFERENCES nodes (id));

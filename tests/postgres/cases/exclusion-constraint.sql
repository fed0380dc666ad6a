-- source: psqldef case "ExcludeConstraint"
-- command: repair --yes
-- == current ==
CREATE TABLE rooms (id integer PRIMARY KEY, during tsrange);
-- == declared ==
CREATE TABLE rooms (id integer PRIMARY KEY, during tsrange, EXCLUDE USING gist (during WITH &&));

-- source: migra fixture "enumdeps" (a new table's default uses a value added to an existing enum)
-- == current ==
CREATE TYPE color AS ENUM ('red', 'blue');
CREATE TABLE cars (id integer PRIMARY KEY, color color);
-- == declared ==
CREATE TYPE color AS ENUM ('red', 'green', 'blue');
CREATE TABLE cars (id integer PRIMARY KEY, color color);
CREATE TABLE bikes (id integer PRIMARY KEY, color color NOT NULL DEFAULT 'green');

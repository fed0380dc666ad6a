-- source: pg-schema-diff acceptance "Alter sequence" (standalone sequence options)
-- == current ==
CREATE SEQUENCE ticket_no START WITH 1 INCREMENT BY 1;
CREATE TABLE tickets (id integer PRIMARY KEY DEFAULT nextval('ticket_no'));
INSERT INTO tickets DEFAULT VALUES;
-- == declared ==
CREATE SEQUENCE ticket_no AS integer START WITH 1 INCREMENT BY 5 MAXVALUE 100000 CACHE 10;
CREATE TABLE tickets (id integer PRIMARY KEY DEFAULT nextval('ticket_no'));

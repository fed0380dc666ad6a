-- source: pg-schema-diff acceptance "Create sequence"
-- == current ==
-- == declared ==
CREATE SEQUENCE invoice_no AS bigint START WITH 1000 INCREMENT BY 10;
CREATE TABLE invoices (id bigint PRIMARY KEY DEFAULT nextval('invoice_no'));

SET search_path = public, pg_catalog;
CREATE TABLE payment_p2015_01 (
    CONSTRAINT payment_p2015_01_payment_date_check CHECK (((payment_date >= '2015-01-01 00:00:00'::timestamp without time zone) AND (payment_date < '2015-02-01 00:00:00'::timestamp without time zone)))
)
INHERITS (payment);
ALTER TABLE ONLY payment_p2015_01 ALTER COLUMN payment_id SET DEFAULT nextval('payment_payment_id_seq'::regclass);
CREATE INDEX idx_fk_payment_p2015_01_customer_id ON payment_p2015_01 USING btree (customer_id);
ALTER TABLE ONLY payment_p2015_01 ADD CONSTRAINT payment_p2015_01_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customer(customer_id);

-- source: issue 15 §3 (FK to a partitioned table)
-- == current ==
CREATE TABLE accounts (id bigint NOT NULL, region text NOT NULL, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE accounts_eu PARTITION OF accounts FOR VALUES IN ('eu');
INSERT INTO accounts VALUES (1, 'eu');
-- == declared ==
CREATE TABLE accounts (id bigint NOT NULL, region text NOT NULL, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE accounts_eu PARTITION OF accounts FOR VALUES IN ('eu');
CREATE TABLE payments (id bigint PRIMARY KEY, account_id bigint NOT NULL, region text NOT NULL,
    FOREIGN KEY (account_id, region) REFERENCES accounts (id, region));

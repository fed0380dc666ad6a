-- source: psqldef case "ReplicaIdentity" in spirit (issue 15 §4: REPLICA IDENTITY was silently not applied)
-- == current ==
CREATE TABLE events (id integer PRIMARY KEY, body text);
INSERT INTO events VALUES (1, 'a');
-- == declared ==
CREATE TABLE events (id integer PRIMARY KEY, body text);
ALTER TABLE events REPLICA IDENTITY FULL;

-- source: psqldef case "ReservedWordTableName"
-- == current ==
-- == declared ==
CREATE TABLE "user" ("order" integer PRIMARY KEY, "select" text, "Mixed Case" text);
CREATE INDEX "user select" ON "user" ("select");

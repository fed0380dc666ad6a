-- source: issue 15 §3 (MusicBrainz release_event built by the app's own SQL: in sync, view untouched)
-- == current ==
CREATE TABLE release_country (release integer, date_year smallint, country integer);
CREATE TABLE release_unknown_country (release integer, date_year smallint);
CREATE VIEW release_event AS
    SELECT release, date_year, country
    FROM (
        SELECT release, date_year, country FROM release_country
        UNION ALL
        SELECT release, date_year, NULL FROM release_unknown_country
    ) AS q;
-- == declared ==
CREATE TABLE release_country (release integer, date_year smallint, country integer);
CREATE TABLE release_unknown_country (release integer, date_year smallint);
CREATE VIEW release_event AS
    SELECT release, date_year, country
    FROM (
        SELECT release, date_year, country FROM release_country
        UNION ALL
        SELECT release, date_year, NULL FROM release_unknown_country
    ) AS q;

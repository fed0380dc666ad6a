-- source: issue 15 §3 (MusicBrainz release_event: a view with an untyped NULL in a UNION ALL branch)
-- == current ==
CREATE TABLE release_country (release integer, date_year smallint, country integer);
CREATE TABLE release_unknown_country (release integer, date_year smallint);
INSERT INTO release_country VALUES (1, 2001, 7);
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
-- == expected ==
-- What dbinit builds: the view created from the server's printed text.
CREATE TABLE release_country (release integer, date_year smallint, country integer);
CREATE TABLE release_unknown_country (release integer, date_year smallint);
CREATE VIEW release_event AS
 SELECT q.release,
    q.date_year,
    q.country
   FROM ( SELECT release_country.release,
            release_country.date_year,
            release_country.country
           FROM release_country
        UNION ALL
         SELECT release_unknown_country.release,
            release_unknown_country.date_year,
            NULL::integer
           FROM release_unknown_country) q;

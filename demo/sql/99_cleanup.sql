-- The temp tables go at commit; the helper functions would stay with the
-- pooled connection, so drop them.
DROP FUNCTION pg_temp.demo_cells(regclass, regclass);
DROP FUNCTION pg_temp.demo_relax(regclass, integer);
DROP FUNCTION pg_temp.demo_uscc(text);
DROP FUNCTION pg_temp.demo_org_code(text);
DROP FUNCTION pg_temp.demo_day(text, integer);
DROP FUNCTION pg_temp.demo_landline(text);
DROP FUNCTION pg_temp.demo_mobile(text);
DROP FUNCTION pg_temp.demo_person(text);
DROP FUNCTION pg_temp.demo_nth(text[], text, bigint);
DROP FUNCTION pg_temp.demo_pick(text[], text);
DROP FUNCTION pg_temp.demo_seed(text);
DROP FUNCTION pg_temp.demo_h(text);

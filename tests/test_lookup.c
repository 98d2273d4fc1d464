/*
 * Tests for zone -> group lookups: zone column detection (by common name,
 * explicit, fallback to the first column), X_code/X_name pairing, repeated
 * rows, the consistency check with its exact message, queries, and the
 * real 2011 data zone lookup when ../shared is present.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "localities/lookup.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int setup(void **state)
{
    loc_ctx *ctx = loc_ctx_create(NULL);
    *state = ctx;
    return ctx ? 0 : -1;
}

static int teardown(void **state)
{
    loc_ctx_destroy(*state);
    return 0;
}

static loc_lookup *parse(loc_ctx *ctx, const char *text, const char *zone_column)
{
    loc_clear_error(ctx);
    return loc_lookup_parse(ctx, "l.csv", text, strlen(text), zone_column);
}

static void expect_error(loc_ctx *ctx, const char *text, const char *zone_column, loc_status code, const char *msg)
{
    loc_lookup *l = parse(ctx, text, zone_column);
    if (l) {
        loc_lookup_destroy(l);
        fail_msg("parsed, expected '%s'", msg);
    }
    assert_string_equal(loc_errmsg(ctx), msg);
    assert_int_equal(loc_errcode(ctx), code);
}

static const char dz11[] =
    "\"dz11_name\",\"dz11_code\",\"iz11_name\",\"iz11_code\",\"ltla20_name\",\"ltla20_code\"\r\n"
    "\"Culter - 01\",\"S01006506\",\"Culter\",\"S02001236\",\"Aberdeen City\",\"S12000033\"\r\n"
    "\"Culter - 02\",\"S01006507\",\"Culter\",\"S02001236\",\"Aberdeen City\",\"S12000033\"\r\n"
    "\"Bridge of Allan - 01\",\"S01013001\",\"Bridge of Allan\",\"S02002459\",\"Stirling\",\"S12000030\"\r\n"
    "\"Culter - 01\",\"S01006506\",\"Culter\",\"S02001236\",\"Aberdeen City\",\"S12000033\"\r\n";

static void test_detect_and_get(void **state)
{
    loc_ctx *ctx = *state;
    loc_lookup *l = parse(ctx, dz11, NULL);
    if (!l)
        fail_msg("%s", loc_errmsg(ctx));
    assert_string_equal(loc_lookup_path(l), "l.csv");
    assert_string_equal(loc_lookup_zone_column(l), "dz11_code");
    assert_int_equal(loc_lookup_ncols(l), 6);
    assert_string_equal(loc_lookup_col_name(l, 3), "iz11_code");
    /* The repeated identical row counts once. */
    assert_int_equal(loc_lookup_nzones(l), 3);

    long iz = loc_lookup_col(l, "iz11_code");
    long la = loc_lookup_col(l, "council|LTLA20_CODE");
    assert_int_equal(iz, 3);
    assert_int_equal(la, 5);
    assert_int_equal(loc_lookup_col(l, "nope"), -1);
    assert_string_equal(loc_lookup_get(l, "S01006506", (size_t)iz), "S02001236");
    assert_string_equal(loc_lookup_get(l, "S01013001", (size_t)la), "S12000030");
    assert_string_equal(loc_lookup_get(l, "S01013001", 0), "Bridge of Allan - 01");
    assert_null(loc_lookup_get(l, "S01999999", (size_t)iz));
    assert_null(loc_lookup_get(l, "s01006506", (size_t)iz)); /* codes are case-sensitive */
    assert_null(loc_lookup_get(l, "", 0));

    /* X_code pairs with X_name; name columns pair with nothing. */
    assert_int_equal(loc_lookup_name_col(l, 1), 0);
    assert_int_equal(loc_lookup_name_col(l, 3), 2);
    assert_int_equal(loc_lookup_name_col(l, 5), 4);
    assert_int_equal(loc_lookup_name_col(l, 0), -1);
    assert_int_equal(loc_lookup_name_col(l, 2), -1);
    loc_lookup_destroy(l);
    loc_lookup_destroy(NULL);
}

static void test_detect_names(void **state)
{
    loc_ctx *ctx = *state;
    /* Each common zone column name is found wherever it stands. */
    const char *names[] = {"DataZone", "Data_Zone", "data zone", "DZ2011_Code", "dz22_code", "LSOA21CD"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char text[256];
        snprintf(text, sizeof text, "group,%s\nG1,Z1\nG1,Z2\n", names[i]);
        loc_lookup *l = parse(ctx, text, NULL);
        assert_non_null(l);
        assert_int_equal(loc_lookup_col(l, loc_lookup_zone_column(l)), 1);
        assert_int_equal(loc_lookup_nzones(l), 2);
        assert_string_equal(loc_lookup_get(l, "Z2", 0), "G1");
        loc_lookup_destroy(l);
    }

    /* No common name: the first column. */
    loc_lookup *l = parse(ctx, "code,ward\nA,W1\nB,W2\n", NULL);
    assert_non_null(l);
    assert_string_equal(loc_lookup_zone_column(l), "code");
    assert_string_equal(loc_lookup_get(l, "B", 1), "W2");
    loc_lookup_destroy(l);
}

static void test_explicit_column(void **state)
{
    loc_ctx *ctx = *state;
    /* An explicit column overrides detection (case ignored). */
    loc_lookup *l = parse(ctx, "dz11_code,old_code,ward\nZ1,O1,W1\nZ2,O2,W1\nZ3,O3,W2\n", "OLD_CODE");
    assert_non_null(l);
    assert_string_equal(loc_lookup_zone_column(l), "old_code");
    assert_int_equal(loc_lookup_nzones(l), 3);
    assert_string_equal(loc_lookup_get(l, "O3", 2), "W2");
    assert_string_equal(loc_lookup_get(l, "O1", 0), "Z1");
    assert_null(loc_lookup_get(l, "Z1", 2));
    loc_lookup_destroy(l);

    /* Keyed by a column whose values repeat, rows must agree entirely. */
    expect_error(ctx, "dz11_code,iz11_code\nZ1,I1\nZ2,I1\n", "iz11_code", LOC_EDATA,
                 "'l.csv' line 3: zone 'I1' is in 'Z2' in column 'dz11_code', but line 2 puts it in 'Z1'");

    l = parse(ctx, "a,b,c\n1,2,3\n", "x|c");
    assert_non_null(l);
    assert_string_equal(loc_lookup_zone_column(l), "c");
    loc_lookup_destroy(l);

    expect_error(ctx, "a,b\n1,2\n", "DataZone", LOC_EDATA, "'l.csv': no column 'DataZone'");
    expect_error(ctx, "a,b\n1,2\n", "x|y", LOC_EDATA, "'l.csv': no column 'x|y'");
}

static void test_pairing(void **state)
{
    loc_ctx *ctx = *state;
    loc_lookup *l = parse(ctx,
                          "zone,IZcode,ward name,ward code,hscp_code,HSCP_NAME,settlement_code,settlementname,code,name\n"
                          "Z1,I1,North,W1,H1,Hn,S1,Sn,C1,Cn\n",
                          NULL);
    assert_non_null(l);
    assert_string_equal(loc_lookup_zone_column(l), "zone");
    assert_int_equal(loc_lookup_name_col(l, 1), -1); /* no IZname */
    assert_int_equal(loc_lookup_name_col(l, 3), 2);  /* "ward code" -> "ward name" */
    assert_int_equal(loc_lookup_name_col(l, 4), 5);  /* case ignored */
    assert_int_equal(loc_lookup_name_col(l, 6), -1); /* "settlement_" vs "settlement" */
    assert_int_equal(loc_lookup_name_col(l, 8), 9);  /* bare code/name */
    assert_int_equal(loc_lookup_name_col(l, 0), -1);
    loc_lookup_destroy(l);

    l = parse(ctx, "dz,IZcode,IZname\nZ1,I1,One\n", NULL);
    assert_non_null(l);
    assert_int_equal(loc_lookup_name_col(l, 1), 2);
    loc_lookup_destroy(l);
}

static void test_conflicts(void **state)
{
    loc_ctx *ctx = *state;
    expect_error(ctx,
                 "dz11_code,iz11_code,iz11_name\n"
                 "S01,S02A,North\n"
                 "S02,S02A,North\n"
                 "S01,S02B,North\n",
                 NULL, LOC_EDATA,
                 "'l.csv' line 4: zone 'S01' is in 'S02B' in column 'iz11_code', but line 2 puts it in 'S02A'");
    /* The names must agree too; the line is the physical line. */
    expect_error(ctx,
                 "dz11_code,iz11_code,iz11_name\r\n"
                 "S01,S02A,\"North\nside\"\r\n"
                 "# footnote\r\n"
                 "\r\n"
                 "S01,S02A,North\r\n",
                 NULL, LOC_EDATA,
                 "'l.csv' line 6: zone 'S01' is in 'North' in column 'iz11_name', but line 2 puts it in 'North\nside'");
    /* An empty cell differs from a filled one. */
    expect_error(ctx, "dz11_code,ward\nS01,W1\nS01,\n", NULL, LOC_EDATA,
                 "'l.csv' line 3: zone 'S01' is in '' in column 'ward', but line 2 puts it in 'W1'");
    expect_error(ctx, "dz11_code,ward\nS01,W1\n,W2\n", NULL, LOC_EDATA,
                 "'l.csv' line 3: empty zone code in column 'dz11_code'");
    expect_error(ctx, "ward,DataZone\nW1,S01\nW2,\"\"\n", NULL, LOC_EDATA,
                 "'l.csv' line 3: empty zone code in column 'DataZone'");
    expect_error(ctx, "dz11_code\nS01\nS02\n", NULL, LOC_EDATA,
                 "'l.csv': a lookup needs a zone column and at least one group column");
    expect_error(ctx, "dz11_code,ward\n", NULL, LOC_EPARSE, "'l.csv': header only, no data rows");
    assert_null(loc_lookup_read(ctx, "no/such/lookup.csv", NULL));
    assert_int_equal(loc_errcode(ctx), LOC_EIO);
    assert_string_equal(loc_errmsg(ctx), "cannot open 'no/such/lookup.csv': No such file or directory");
}

static void test_empty_cells(void **state)
{
    loc_ctx *ctx = *state;
    loc_lookup *l = parse(ctx, "dz11_code,ward,settlement\nS01,W1,\nS02,W2,Stirling\nS01,W1,\n", NULL);
    assert_non_null(l);
    assert_int_equal(loc_lookup_nzones(l), 2);
    assert_string_equal(loc_lookup_get(l, "S01", 2), "");
    assert_string_equal(loc_lookup_get(l, "S02", 2), "Stirling");
    loc_lookup_destroy(l);
}

static void test_real(void **state)
{
    loc_ctx *ctx = *state;
    const char *path = LOC_SHARED_DIR "/lookups/dz2011_iz2011_council_lookup.csv";
    SKIP_WITHOUT_SHARED(path);
    loc_lookup *l = loc_lookup_read(ctx, path, NULL);
    if (!l)
        fail_msg("%s", loc_errmsg(ctx));
    assert_string_equal(loc_lookup_path(l), path);
    assert_string_equal(loc_lookup_zone_column(l), "dz11_code");
    assert_int_equal(loc_lookup_nzones(l), 6976);
    long iz = loc_lookup_col(l, "iz11_code");
    long la = loc_lookup_col(l, "ltla20_code");
    assert_true(iz >= 0 && la >= 0);
    assert_string_equal(loc_lookup_get(l, "S01006506", (size_t)iz), "S02001236");
    assert_string_equal(loc_lookup_get(l, "S01006506", (size_t)la), "S12000033");
    assert_string_equal(loc_lookup_get(l, "S01006506", (size_t)loc_lookup_name_col(l, (size_t)la)),
                        "Aberdeen City");
    assert_null(loc_lookup_get(l, "S01000001", (size_t)iz)); /* a 2001 zone */
    loc_lookup_destroy(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect_and_get),
        cmocka_unit_test(test_detect_names),
        cmocka_unit_test(test_explicit_column),
        cmocka_unit_test(test_pairing),
        cmocka_unit_test(test_conflicts),
        cmocka_unit_test(test_empty_cells),
        cmocka_unit_test(test_real),
    };
    if (getenv("TEST_FILTER"))
        cmocka_set_test_filter(getenv("TEST_FILTER"));
    return test_exit(cmocka_run_group_tests(tests, setup, teardown));
}

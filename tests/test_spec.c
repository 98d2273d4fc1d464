/*
 * Tests for the indicator spec reader: a spec using every type, '|'
 * alternatives, comment rows, each refusal with its exact message, and the
 * three shipped specs in data/specs/.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "localities/spec.h"
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

#define HEADER "name,label,type,numerator,denominator,value,weight,threshold,per,worse,method\n"
#define ZONE "zone,Data zone,zone,,,Data_Zone,,,,,\n"
#define POP "population,Total population,population,,,Total_population,,,,,\n"

static loc_spec *parse(loc_ctx *ctx, const char *text)
{
    loc_clear_error(ctx);
    return loc_spec_parse(ctx, "s.csv", text, strlen(text));
}

static void expect_error(loc_ctx *ctx, const char *text, loc_status code, const char *msg)
{
    loc_spec *spec = parse(ctx, text);
    if (spec) {
        loc_spec_destroy(spec);
        fail_msg("parsed, expected '%s'", msg);
    }
    assert_string_equal(loc_errmsg(ctx), msg);
    assert_int_equal(loc_errcode(ctx), code);
}

static const char full[] =
    "\xEF\xBB\xBF" HEADER
    ZONE
    POP
    "council,Council area,council,,,Council_area,,,,,\n"
    "income,Income deprived people (%),proportion,income_count,Total_population,,,,,higher,\n"
    "crime,\"Crimes per 10,000 people\",RATE,crime_count,Total_population,,,,\"10,000\",Higher,\n"
    "smr,Standardised mortality ratio,ratio,,,SMR,Total_population,,,higher,normal\n"
    "attainment,,mean,,,Attainment,,,,LOWER,NONE\n"
    "simd_q1,People in the 20% most deprived zones,share,,,SIMD2020v2_Quintile,,1,,higher,default\n"
    "employment,Employment,proportion,employment_count,Working_age_population_Revised|Working_age_population,,,,,higher,\n"
    "#university,switched off,mean,,,University,,,,lower,normal\n"
    ",,,,,,,,,,\n"
    "  drive_gp_1 , Drive time ,mean,,,drive_GP,,,, higher ,  none \n";

static void test_full(void **state)
{
    loc_ctx *ctx = *state;
    loc_spec *spec = parse(ctx, full);
    if (!spec)
        fail_msg("%s", loc_errmsg(ctx));
    assert_string_equal(loc_spec_name(spec), "s.csv");
    assert_string_equal(loc_spec_zone_column(spec), "Data_Zone");
    assert_string_equal(loc_spec_population_column(spec), "Total_population");
    assert_string_equal(loc_spec_council_column(spec), "Council_area");
    assert_int_equal(loc_spec_count(spec), 7);

    const loc_indicator *d = loc_spec_indicator(spec, 0);
    assert_string_equal(d->name, "income");
    assert_string_equal(d->label, "Income deprived people (%)");
    assert_int_equal(d->type, LOC_IND_PROPORTION);
    assert_string_equal(d->numerator, "income_count");
    assert_string_equal(d->denominator, "Total_population");
    assert_null(d->value);
    assert_null(d->weight);
    assert_true(isnan(d->threshold));
    assert_true(d->per == 1);
    assert_int_equal(d->higher_is_worse, 1);
    assert_int_equal(d->method, LOC_METHOD_DEFAULT);
    assert_int_equal(d->line, 5);

    d = loc_spec_indicator(spec, 1);
    assert_string_equal(d->name, "crime");
    assert_string_equal(d->label, "Crimes per 10,000 people");
    assert_int_equal(d->type, LOC_IND_RATE);
    assert_string_equal(d->numerator, "crime_count");
    assert_true(d->per == 10000);
    assert_int_equal(d->higher_is_worse, 1);
    assert_int_equal(d->line, 6);

    d = loc_spec_indicator(spec, 2);
    assert_string_equal(d->name, "smr");
    assert_int_equal(d->type, LOC_IND_RATIO);
    assert_null(d->numerator);
    assert_null(d->denominator);
    assert_string_equal(d->value, "SMR");
    assert_string_equal(d->weight, "Total_population");
    assert_int_equal(d->method, LOC_METHOD_NORMAL);

    d = loc_spec_indicator(spec, 3);
    assert_string_equal(d->name, "attainment");
    assert_string_equal(d->label, "attainment"); /* empty label: the name */
    assert_int_equal(d->type, LOC_IND_MEAN);
    assert_null(d->weight);
    assert_int_equal(d->higher_is_worse, 0);
    assert_int_equal(d->method, LOC_METHOD_NONE);

    d = loc_spec_indicator(spec, 4);
    assert_string_equal(d->name, "simd_q1");
    assert_int_equal(d->type, LOC_IND_SHARE);
    assert_string_equal(d->value, "SIMD2020v2_Quintile");
    assert_true(d->threshold == 1);
    assert_int_equal(d->method, LOC_METHOD_DEFAULT);

    /* Alternatives are kept as written, for the indicator file to resolve. */
    d = loc_spec_indicator(spec, 5);
    assert_string_equal(d->denominator, "Working_age_population_Revised|Working_age_population");

    /* The comment row and the empty row are skipped; cells are trimmed. */
    d = loc_spec_indicator(spec, 6);
    assert_string_equal(d->name, "drive_gp_1");
    assert_string_equal(d->label, "Drive time");
    assert_int_equal(d->higher_is_worse, 1);
    assert_int_equal(d->method, LOC_METHOD_NONE);
    assert_int_equal(d->line, 13);

    loc_spec_destroy(spec);
    loc_spec_destroy(NULL);
}

static void test_type_names(void **state)
{
    (void)state;
    assert_string_equal(loc_ind_type_name(LOC_IND_PROPORTION), "proportion");
    assert_string_equal(loc_ind_type_name(LOC_IND_RATE), "rate");
    assert_string_equal(loc_ind_type_name(LOC_IND_RATIO), "ratio");
    assert_string_equal(loc_ind_type_name(LOC_IND_MEAN), "mean");
    assert_string_equal(loc_ind_type_name(LOC_IND_SHARE), "share");
    assert_string_equal(loc_ind_type_name((loc_ind_type)17), "unknown");
}

static void test_minimal(void **state)
{
    loc_ctx *ctx = *state;
    /* Only name and type are required in the header; column order is free;
     * no council row; no indicators. */
    loc_spec *spec = parse(ctx, "type,value,name\r\nzone,DZ,zone\r\npopulation,Pop,pop\r\n");
    if (!spec)
        fail_msg("%s", loc_errmsg(ctx));
    assert_string_equal(loc_spec_zone_column(spec), "DZ");
    assert_string_equal(loc_spec_population_column(spec), "Pop");
    assert_null(loc_spec_council_column(spec));
    assert_int_equal(loc_spec_count(spec), 0);
    loc_spec_destroy(spec);
}

/* The `role` column, and the defaults where a spec gives no role. */
static void test_roles(void **state)
{
    loc_ctx *ctx = *state;
    static const char base[] = "name,type,numerator,denominator,value,threshold,worse,role\n"
                               "zone,zone,,,DZ,,,\npop,population,,,Pop,,,\n";
    char text[1024];
    snprintf(text, sizeof text, "%s%s", base,
             "q1,share,,,Q,1,higher,key\n"
             "a,proportion,an,Pop,,,higher,\n"
             "b,proportion,bn,Pop,,,higher,Build ; key\n"
             "c,proportion,cn,Pop,,,higher,build;map\n");
    loc_spec *spec = parse(ctx, text);
    if (!spec)
        fail_msg("%s", loc_errmsg(ctx));
    const loc_indicator *inds[4];
    for (size_t i = 0; i < 4; i++)
        inds[i] = loc_spec_indicator(spec, i);
    assert_int_equal(inds[2]->roles, LOC_ROLE_BUILD | LOC_ROLE_KEY);
    size_t out[4];
    assert_int_equal(loc_indicators_with_role(inds, 4, LOC_ROLE_BUILD, out, 4), 2);
    assert_int_equal(out[0], 2);
    assert_int_equal(out[1], 3);
    assert_int_equal(loc_indicators_with_role(inds, 4, LOC_ROLE_KEY, out, 4), 2);
    assert_int_equal(out[0], 0);
    assert_int_equal(loc_indicators_with_role(inds, 4, LOC_ROLE_MAP, out, 4), 1);
    assert_int_equal(out[0], 3);
    loc_spec_destroy(spec);
    /* no roles: build the first two proportions, key the shares then
     * proportions (three), map the first proportion */
    snprintf(text, sizeof text, "%s%s", base,
             "q1,share,,,Q,1,higher,\na,proportion,an,Pop,,,higher,\nb,proportion,bn,Pop,,,higher,\n"
             "c,proportion,cn,Pop,,,higher,\n");
    assert_non_null(spec = parse(ctx, text));
    for (size_t i = 0; i < 4; i++)
        inds[i] = loc_spec_indicator(spec, i);
    assert_int_equal(loc_indicators_with_role(inds, 4, LOC_ROLE_BUILD, out, 4), 2);
    assert_int_equal(out[0] * 10 + out[1], 12);
    assert_int_equal(loc_indicators_with_role(inds, 4, LOC_ROLE_KEY, out, 4), 3);
    assert_int_equal(out[0] * 100 + out[1] * 10 + out[2], 12);
    assert_int_equal(loc_indicators_with_role(inds, 4, LOC_ROLE_MAP, out, 4), 1);
    assert_int_equal(out[0], 1);
    loc_spec_destroy(spec);
    /* an unknown role */
    snprintf(text, sizeof text, "%s%s", base, "a,proportion,an,Pop,,,higher,build;maps\n");
    assert_null(parse(ctx, text));
    assert_string_equal(loc_errmsg(ctx), "'s.csv' line 4: 'role' takes build, key and map, ';'-separated: 'build;maps'");
}

static void test_errors(void **state)
{
    loc_ctx *ctx = *state;
    expect_error(ctx, HEADER ZONE POP "x,X,percentage,a,b,,,,,higher,\n", LOC_EDATA,
                 "'s.csv' line 4: unknown type (expected zone, population, council, proportion, rate, ratio, mean "
                 "or share): 'percentage'");
    expect_error(ctx, HEADER ZONE POP "x,X,,a,b,,,,,higher,\n", LOC_EDATA,
                 "'s.csv' line 4: unknown type (expected zone, population, council, proportion, rate, ratio, mean "
                 "or share): ''");
    expect_error(ctx, HEADER ZONE POP "x,X,mean,,,v,,,,,\n", LOC_EDATA,
                 "'s.csv' line 4: 'worse' must be 'higher' or 'lower': ''");
    expect_error(ctx, HEADER ZONE POP "x,X,mean,,,v,,,,up,\n", LOC_EDATA,
                 "'s.csv' line 4: 'worse' must be 'higher' or 'lower': 'up'");
    expect_error(ctx, HEADER ZONE POP "x,X,proportion,,b,,,,,higher,\n", LOC_EDATA,
                 "'s.csv' line 4: a proportion indicator needs a 'numerator' column");
    expect_error(ctx, HEADER ZONE POP "x,X,rate,a,,,,,10,higher,\n", LOC_EDATA,
                 "'s.csv' line 4: a rate indicator needs a 'denominator' column");
    expect_error(ctx, HEADER ZONE POP "x,X,ratio,a,b,,,,,higher,\n", LOC_EDATA,
                 "'s.csv' line 4: a ratio indicator needs a 'value' column");
    expect_error(ctx, HEADER ZONE POP "x,X,share,,,q,,,,higher,\n", LOC_EDATA,
                 "'s.csv' line 4: a share indicator needs a 'threshold'");
    expect_error(ctx, HEADER ZONE POP "x,X,share,,,q,,one,,higher,\n", LOC_EDATA,
                 "'s.csv' line 4: threshold: 'one'");
    expect_error(ctx, HEADER ZONE POP "income,X,mean,,,v,,,,higher,\nx,X,mean,,,w,,,,higher,\nincome,Y,mean,,,w,,,,lower,\n",
                 LOC_EDATA, "'s.csv' line 6: indicator 'income' already defined on line 4");
    expect_error(ctx, HEADER ZONE POP "zone,Again,zone,,,DZ,,,,,\n", LOC_EDATA,
                 "'s.csv' line 4: a second row of type: 'zone'");
    expect_error(ctx, HEADER ZONE POP POP, LOC_EDATA, "'s.csv' line 4: a second row of type: 'population'");
    expect_error(ctx, HEADER ZONE "c,C,council,,,C1,,,,,\n" POP "c2,C,Council,,,C2,,,,,\n", LOC_EDATA,
                 "'s.csv' line 5: a second row of type: 'Council'");
    expect_error(ctx, HEADER "zone,Z,zone,,,,,,,,\n" POP, LOC_EDATA,
                 "'s.csv' line 2: a zone row needs the column name in 'value'");
    expect_error(ctx, HEADER POP "x,X,mean,,,v,,,,higher,\n", LOC_EDATA,
                 "'s.csv': no row of type 'zone' naming the zone code column");
    expect_error(ctx, HEADER ZONE "x,X,mean,,,v,,,,higher,\n", LOC_EDATA,
                 "'s.csv': no row of type 'population' naming the population column");
    expect_error(ctx, HEADER ZONE POP "x,X,mean,,,v,,,,higher,fancy\n", LOC_EDATA,
                 "'s.csv' line 4: 'method' must be none or normal: 'fancy'");
    const char *bad_names[] = {"bad name", "Income", "drive.gp", "drive-gp", "caf\xC3\xA9", "",
                               "a234567890123456789012345678901234567890123456789012345678901234"};
    for (size_t i = 0; i < sizeof bad_names / sizeof *bad_names; i++) {
        char text[512], msg[256];
        snprintf(text, sizeof text, HEADER ZONE POP "\"%s\",X,mean,,,v,,,,higher,\n", bad_names[i]);
        snprintf(msg, sizeof msg, "'s.csv' line 4: indicator name must be 1 to 63 of a-z, 0-9 and '_': '%s'",
                 bad_names[i]);
        expect_error(ctx, text, LOC_EDATA, msg);
    }
    /* 63 characters is the longest name. */
    loc_spec *spec = parse(ctx, HEADER ZONE POP
                           "a23456789012345678901234567890123456789012345678901234567890123,X,mean,,,v,,,,higher,\n");
    assert_non_null(spec);
    assert_int_equal(strlen(loc_spec_indicator(spec, 0)->name), 63);
    loc_spec_destroy(spec);
    expect_error(ctx, HEADER ZONE POP "x,X,rate,a,b,,,,,higher,\n", LOC_EDATA,
                 "'s.csv' line 4: a rate indicator needs 'per' (e.g. 10000)");
    expect_error(ctx, HEADER ZONE POP "x,X,mean,,,v,,,,higher is worse,\n", LOC_EDATA,
                 "'s.csv' line 4: 'worse' must be 'higher' or 'lower': 'higher is worse'");
    expect_error(ctx, HEADER ZONE POP "x,X,mean,,,v,,,,lowest,\n", LOC_EDATA,
                 "'s.csv' line 4: 'worse' must be 'higher' or 'lower': 'lowest'");
    expect_error(ctx, HEADER ZONE POP "x,X,rate,a,b,,,,ten,higher,\n", LOC_EDATA, "'s.csv' line 4: per: 'ten'");
    expect_error(ctx, HEADER ZONE POP "x,X,rate,a,b,,,,NA,higher,\n", LOC_EDATA, "'s.csv' line 4: per: 'NA'");
    expect_error(ctx, HEADER ZONE POP "x,X,rate,a,b,,,,0,higher,\n", LOC_EDATA,
                 "'s.csv' line 4: 'per' must be a positive number: '0'");
    expect_error(ctx, HEADER ZONE POP "x,X,rate,a,b,,,,-10,higher,\n", LOC_EDATA,
                 "'s.csv' line 4: 'per' must be a positive number: '-10'");
    expect_error(ctx, "label,type,value\nzone,zone,DZ\n", LOC_EDATA,
                 "'s.csv': the header needs columns 'name' and 'type'");
    expect_error(ctx, "name,label,value\nzone,zone,DZ\n", LOC_EDATA,
                 "'s.csv': the header needs columns 'name' and 'type'");
    /* Errors from the table reader come through unchanged. */
    expect_error(ctx, HEADER ZONE POP "smr,Deaths per 1,000 (ratio),ratio,,,SMR,,,,higher,normal\n", LOC_EPARSE,
                 "'s.csv' line 4: 12 fields but the header has 11");
    /* With an empty last cell the shifted row has the header's width (the
     * 12th cell is empty); it fails on the shifted type instead. */
    expect_error(ctx, HEADER ZONE POP "crime,Crimes per 10,000 people,rate,c,p,,,,10000,higher,\n", LOC_EDATA,
                 "'s.csv' line 4: unknown type (expected zone, population, council, proportion, rate, ratio, mean "
                 "or share): '000 people'");
    expect_error(ctx, HEADER, LOC_EPARSE, "'s.csv': header only, no data rows");
    expect_error(ctx, "name,type,Name\nzone,zone,x\n", LOC_EPARSE,
                 "'s.csv' line 1: duplicate column name 'Name' (columns 1 and 3)");
}

static void test_missing_file(void **state)
{
    loc_ctx *ctx = *state;
    assert_null(loc_spec_read(ctx, "no/such/spec.csv"));
    assert_int_equal(loc_errcode(ctx), LOC_EIO);
    assert_string_equal(loc_errmsg(ctx), "cannot open 'no/such/spec.csv': No such file or directory");
}

static void check_shipped(loc_ctx *ctx, const char *file, size_t count, const char *zone, const char *pop)
{
    char path[512];
    snprintf(path, sizeof path, "%s/specs/%s", LOC_DATA_DIR, file);
    loc_clear_error(ctx);
    loc_spec *spec = loc_spec_read(ctx, path);
    if (!spec)
        fail_msg("%s: %s", file, loc_errmsg(ctx));
    assert_string_equal(loc_spec_name(spec), path);
    assert_int_equal(loc_spec_count(spec), count);
    assert_string_equal(loc_spec_zone_column(spec), zone);
    assert_string_equal(loc_spec_population_column(spec), pop);
    assert_non_null(loc_spec_council_column(spec));
    for (size_t i = 0; i < count; i++) {
        const loc_indicator *d = loc_spec_indicator(spec, i);
        assert_non_null(d->name);
        assert_non_null(d->label);
        if (d->type == LOC_IND_PROPORTION || d->type == LOC_IND_RATE)
            assert_true(d->numerator && d->denominator);
        else
            assert_non_null(d->value);
        if (d->type == LOC_IND_SHARE)
            assert_false(isnan(d->threshold));
    }
    /* Every shipped spec starts with the 20% most deprived share. */
    assert_string_equal(loc_spec_indicator(spec, 0)->name, "simd_most_deprived_20");
    assert_int_equal(loc_spec_indicator(spec, 0)->type, LOC_IND_SHARE);
    assert_int_equal(loc_spec_indicator(spec, 0)->line, 5);
    loc_spec_destroy(spec);
}

static void test_shipped(void **state)
{
    loc_ctx *ctx = *state;
    check_shipped(ctx, "simd2012.csv", 9, "Data Zone", "Total Population (SAPE 2010)");
    check_shipped(ctx, "simd2016.csv", 27, "Data_Zone", "Total_population");
    check_shipped(ctx, "simd2020v2.csv", 28, "Data_Zone", "Total_population");
}

static void test_shipped_details(void **state)
{
    loc_ctx *ctx = *state;
    loc_spec *spec = loc_spec_read(ctx, LOC_DATA_DIR "/specs/simd2020v2.csv");
    assert_non_null(spec);
    const loc_indicator *crime = NULL;
    for (size_t i = 0; i < loc_spec_count(spec); i++)
        if (strcmp(loc_spec_indicator(spec, i)->name, "crime") == 0)
            crime = loc_spec_indicator(spec, i);
    assert_non_null(crime);
    assert_int_equal(crime->type, LOC_IND_RATE);
    assert_true(crime->per == 10000);
    assert_string_equal(crime->label, "Recorded crimes in the SIMD crime domain per 10,000 population");
    loc_spec_destroy(spec);

    spec = loc_spec_read(ctx, LOC_DATA_DIR "/specs/simd2016.csv");
    assert_non_null(spec);
    const loc_indicator *emp = loc_spec_indicator(spec, 2);
    assert_string_equal(emp->name, "employment");
    assert_string_equal(emp->denominator, "Working_age_population_Revised|Working_age_population");
    loc_spec_destroy(spec);
}

/* The plan decision's columns: domain, min_effect (absolute, relative or
 * in standard deviations), suppressed (a count range) and bounds. */
#define DHEADER "name,type,numerator,denominator,value,per,worse,method,domain,min_effect,suppressed,bounds\n"
#define DZONE "zone,zone,,,Data_Zone,,,,,,,\n"
#define DPOP "population,population,,,Total_population,,,,,,,\n"

static void test_decision_columns(void **state)
{
    loc_ctx *ctx = *state;
    loc_spec *spec = parse(ctx, DHEADER DZONE DPOP "income,proportion,n,d,,,higher,,Income,2.5,,\n"
                                                   "crime,rate,c,d,,10000,higher,,crime,25%,0..2,\n"
                                                   "smr,ratio,,,SMR,,higher,normal,health,0.25SD,,\n"
                                                   "att,mean,,,A,,lower,normal,education,,,0..100\n"
                                                   "drive,mean,,,D,,higher,none,,,, 0 .. \n");
    assert_null(spec); /* a domain must be lower case, like a name */
    assert_string_equal(loc_errmsg(ctx), "'s.csv' line 4: domain must be 1 to 63 of a-z, 0-9 and '_': 'Income'");
    spec = parse(ctx, DHEADER DZONE DPOP "income,proportion,n,d,,,higher,,income,2.5,,\n"
                                         "crime,rate,c,d,,10000,higher,,crime,25%,0..2,\n"
                                         "smr,ratio,,,SMR,,higher,normal,health,0.25SD,,\n"
                                         "att,mean,,,A,,lower,normal,education,,,0..100\n"
                                         "drive,mean,,,D,,higher,none,,,,0..\n");
    assert_non_null(spec);
    const loc_indicator *in = loc_spec_indicator(spec, 0);
    assert_string_equal(in->domain, "income");
    assert_int_equal(in->effect_kind, LOC_EFFECT_ABS);
    assert_true(in->effect == 2.5);
    assert_true(isnan(in->supp_low));
    in = loc_spec_indicator(spec, 1);
    assert_int_equal(in->effect_kind, LOC_EFFECT_REL);
    assert_true(in->effect == 0.25);
    assert_true(in->supp_low == 0 && in->supp_high == 2);
    in = loc_spec_indicator(spec, 2);
    assert_int_equal(in->effect_kind, LOC_EFFECT_SD);
    assert_true(in->effect == 0.25);
    assert_true(in->lower == 0 && isinf(in->upper)); /* a ratio is never negative */
    in = loc_spec_indicator(spec, 3);
    assert_int_equal(in->effect_kind, LOC_EFFECT_DEFAULT);
    assert_true(in->lower == 0 && in->upper == 100);
    in = loc_spec_indicator(spec, 4);
    assert_null(in->domain);
    assert_true(in->lower == 0 && isinf(in->upper) && in->upper > 0);
    loc_spec_destroy(spec);
    expect_error(ctx, DHEADER DZONE DPOP "x,proportion,n,d,,,higher,,,-1,,\n", LOC_EDATA,
                 "'s.csv' line 4: 'min_effect' must be a number, a percentage ('25%') or standard deviations "
                 "('0.5sd'), not negative: '-1'");
    expect_error(ctx, DHEADER DZONE DPOP "x,proportion,n,d,,,higher,,,big,,\n", LOC_EDATA,
                 "'s.csv' line 4: 'min_effect' must be a number, a percentage ('25%') or standard deviations "
                 "('0.5sd'), not negative: 'big'");
    expect_error(ctx, DHEADER DZONE DPOP "x,proportion,n,d,,,higher,,,,2..1,\n", LOC_EDATA,
                 "'s.csv' line 4: 'suppressed' must be a range of counts such as '0..2': '2..1'");
    expect_error(ctx, DHEADER DZONE DPOP "x,proportion,n,d,,,higher,,,,0..,\n", LOC_EDATA,
                 "'s.csv' line 4: 'suppressed' must be a range of counts such as '0..2': '0..'");
    expect_error(ctx, DHEADER DZONE DPOP "x,mean,,,v,,higher,normal,,,0..2,\n", LOC_EDATA,
                 "'s.csv' line 4: 'suppressed' gives the counts a suppressed numerator stands for; a mean "
                 "indicator has no numerator");
    expect_error(ctx, DHEADER DZONE DPOP "x,proportion,n,d,,,higher,,,,,0..1\n", LOC_EDATA,
                 "'s.csv' line 4: 'bounds' applies to ratio and mean indicators, not proportion");
    expect_error(ctx, DHEADER DZONE DPOP "x,mean,,,v,,higher,normal,,,,5..5\n", LOC_EDATA,
                 "'s.csv' line 4: 'bounds' must be a range such as '0..100' or '0..': '5..5'");
    expect_error(ctx, DHEADER DZONE DPOP "x,mean,,,v,,higher,normal,,,,0-100\n", LOC_EDATA,
                 "'s.csv' line 4: 'bounds' must be a range such as '0..100' or '0..': '0-100'");
}

/* The shipped specs: every tested indicator has a domain and a minimum
 * effect; the six domains are the same in all three releases. */
static void test_shipped_decision(void **state)
{
    loc_ctx *ctx = *state;
    static const char *const files[] = {"simd2012.csv", "simd2016.csv", "simd2020v2.csv"};
    for (size_t f = 0; f < 3; f++) {
        char path[512];
        snprintf(path, sizeof path, LOC_DATA_DIR "/specs/%s", files[f]);
        loc_spec *spec = loc_spec_read(ctx, path);
        assert_non_null(spec);
        unsigned seen = 0;
        static const char *const doms[] = {"income", "employment", "health", "education", "housing", "crime"};
        for (size_t i = 0; i < loc_spec_count(spec); i++) {
            const loc_indicator *in = loc_spec_indicator(spec, i);
            int tested = in->type == LOC_IND_PROPORTION || in->type == LOC_IND_RATE || in->type == LOC_IND_SHARE ||
                         in->method == LOC_METHOD_NORMAL;
            if (!tested)
                continue;
            assert_int_equal(in->effect_kind, LOC_EFFECT_SD);
            if (in->type == LOC_IND_SHARE)
                continue;
            assert_non_null(in->domain);
            for (unsigned d = 0; d < 6; d++)
                if (strcmp(in->domain, doms[d]) == 0)
                    seen |= 1u << d;
        }
        if (seen != 63)
            fail_msg("%s: tested domains 0x%x, want all six", files[f], seen);
        loc_spec_destroy(spec);
    }
}

/* A spec is a few dozen rows; more than 1,000 indicators is refused with
 * the line of the first one too many, and exactly 1,000 is accepted. */
static void test_too_many_indicators(void **state)
{
    loc_ctx *ctx = *state;
    size_t cap = 64 * 1002 + 256, k = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    k += (size_t)snprintf(buf + k, cap - k, HEADER ZONE POP);
    for (int i = 0; i < 1000; i++)
        k += (size_t)snprintf(buf + k, cap - k, "m%d,,mean,,,v,,,,higher,\n", i);
    loc_spec *spec = loc_spec_parse(ctx, "s.csv", buf, k);
    assert_non_null(spec);
    assert_int_equal(loc_spec_count(spec), 1000);
    loc_spec_destroy(spec);
    k += (size_t)snprintf(buf + k, cap - k, "m1000,,mean,,,v,,,,higher,\n");
    buf[k] = '\0';
    expect_error(ctx, buf, LOC_ELIMIT, "'s.csv' line 1004: more than 1000 indicators");
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_minimal),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_too_many_indicators),
        cmocka_unit_test(test_shipped),
        cmocka_unit_test(test_shipped_details),
        cmocka_unit_test(test_decision_columns),
        cmocka_unit_test(test_shipped_decision),
    };
    if (getenv("TEST_FILTER"))
        cmocka_set_test_filter(getenv("TEST_FILTER"));
    return test_exit(cmocka_run_group_tests(tests, setup, teardown));
}

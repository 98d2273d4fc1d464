/*
 * Tests for progress across releases: the release year, the targets file's
 * checks (each refusal with its exact message), every status on a small
 * three-release fixture whose figures are worked by hand in the comments,
 * the expansion of `*` and of a council, a missing release, a locality whose
 * zones changed, the tested trends and their counts, and progress.csv.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "localities/progress.h"
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static loc_csv *table(loc_ctx *ctx, const char *name, const char *text)
{
    loc_csv *t = loc_csv_parse(ctx, name, text, strlen(text));
    assert_non_null(t);
    return t;
}

/* income (higher is worse) comparable through all three; health in none;
 * attain (lower is worse) through all three. */
static const char *SPEC12 = "name,worse,comparable\nincome,higher,inc\nhealth,higher,\nattain,lower,att\n";
static const char *SPEC16 = "name,worse,comparable\nincome_rate,higher,inc\nhealth,higher,\nattain,lower,att\n";
static const char *HELD = "zone_code,locality_code,locality_name,council_code,population\n"
                          "z1,L1,A,C1,100\nz2,L2,B,C1,100\nz3,L3,C,C2,100\n";

/* Per release: locality, estimate, rest of council, Scotland (se 1). */
typedef struct fig { const char *loc; double est, council, scot; } fig;
static const fig INC[3][3] = {
    {{"L1", 30, 20, 15}, {"L2", 30, 30, 15}, {"L3", 30, 25, 15}},
    {{NULL, 0, 0, 0}, {"L2", 29, 29, 15}, {"L3", 25, 21, 15}}, /* L1 missing in 2016 */
    {{"L1", 22, 20, 14}, {"L2", 20, 30, 14}, {"L3", 18, 14, 14}},
};

static loc_csv *indicators(loc_ctx *ctx, int k)
{
    static char buf[8192];
    const char *name = k == 0 ? "income" : "income_rate";
    size_t n = (size_t)snprintf(buf, sizeof buf, "locality_code,indicator,comparator,estimate,ci_low,ci_high,"
                                                 "comparator_value,diff_low,diff_high,se\n");
    for (int i = 0; i < 3; i++) {
        const fig *f = &INC[k][i];
        if (!f->loc)
            continue;
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s,%s,council_rest,%g,%g,%g,%g,%g,%g,1\n", f->loc, name, f->est,
                              f->est - 2, f->est + 2, f->council, f->est - f->council - 3, f->est - f->council + 3);
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s,%s,scotland,%g,%g,%g,%g,%g,%g,1\n", f->loc, name, f->est,
                              f->est - 2, f->est + 2, f->scot, f->est - f->scot - 3, f->est - f->scot + 3);
        /* attainment 50 everywhere, but L2's falls to 40 in 2020 */
        double at = k == 2 && strcmp(f->loc, "L2") == 0 ? 40 : 50;
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s,attain,council_rest,%g,%g,%g,50,%g,%g,1\n"
                                                       "%s,attain,scotland,%g,%g,%g,50,%g,%g,1\n",
                              f->loc, at, at - 2, at + 2, at - 53, at - 47, f->loc, at, at - 2, at + 2, at - 53, at - 47);
    }
    return table(ctx, "indicators.csv", buf);
}

typedef struct fixture {
    test_alloc t;
    loc_ctx *ctx;
    loc_csv *spec[3], *held, *loc[3], *ind[3], *car;
    loc_progress_release rel[3];
} fixture;

static void setup(fixture *x)
{
    x->ctx = test_ctx(&x->t);
    static const char *const names[3] = {"simd2012", "simd2016", "simd2020v2"};
    for (int k = 0; k < 3; k++) {
        x->spec[k] = table(x->ctx, names[k], k ? SPEC16 : SPEC12);
        x->rel[k].name = names[k];
        x->rel[k].year = loc_progress_release_year(names[k], NULL);
        x->rel[k].spec = x->spec[k];
        x->loc[k] = table(x->ctx, "localities.csv",
                          "locality_code,locality_name,council_code,plan_required\nL1,A,C1,1\nL2,B,C1,0\nL3,C,C2,1\n");
        x->ind[k] = indicators(x->ctx, k);
    }
    x->held = table(x->ctx, "zones.csv", HELD);
    /* L3's zones changed in 2012: a quarter of its residents placed by most */
    x->car = table(x->ctx, "carried.csv", "zone_code,locality_code,placement,population\n"
                                          "a,L3,exact,300\nb,L3,most,100\nc,L1,exact,100\n");
}

static void teardown(fixture *x)
{
    for (int k = 0; k < 3; k++) {
        loc_csv_destroy(x->spec[k]);
        loc_csv_destroy(x->loc[k]);
        loc_csv_destroy(x->ind[k]);
    }
    loc_csv_destroy(x->held);
    loc_csv_destroy(x->car);
    loc_ctx_destroy(x->ctx);
    assert_int_equal(x->t.live, 0);
}

static void test_release_year(void **state)
{
    (void)state;
    assert_int_equal(loc_progress_release_year("simd2020v2", NULL), 2020);
    assert_int_equal(loc_progress_release_year("simd2012", ""), 2012);
    assert_int_equal(loc_progress_release_year("latest", "2019"), 2019);
    assert_int_equal(loc_progress_release_year("latest", NULL), -1);
    assert_int_equal(loc_progress_release_year("r12345", NULL), -1); /* five digits are no year */
    assert_int_equal(loc_progress_release_year("v2_2016", NULL), 2016);
    assert_int_equal(loc_progress_release_year("simd2016", "20x6"), -1);
}

/* The refusal of one bad targets row, by its message. */
static void refuse(const char *row, const char *want)
{
    fixture x;
    setup(&x);
    char buf[1024];
    snprintf(buf, sizeof buf, "locality,indicator,baseline,measure,target_1y,target_3y,target_10y,plan_year\n%s\n", row);
    loc_csv *tg = table(x.ctx, "targets.csv", buf);
    assert_null(loc_progress_create(x.ctx, x.rel, 3, x.held, tg));
    assert_int_equal(loc_errcode(x.ctx), LOC_EDATA);
    assert_string_equal(loc_errmsg(x.ctx), want);
    loc_csv_destroy(tg);
    teardown(&x);
}

static void test_bad_targets(void **state)
{
    (void)state;
    refuse("L9,income,simd2012,value,,,20,",
           "'targets.csv' line 2: unknown locality 'L9' (not a held locality, '*' or a council code)");
    refuse("L1,nope,simd2012,value,,,20,", "'targets.csv' line 2: unknown indicator 'nope' (not in the spec of simd2012)");
    refuse("L1,health,simd2012,value,,,20,",
           "'targets.csv' line 2: indicator 'health' cannot be followed from simd2012 to simd2016 (no matching "
           "'comparable' key in the specs)");
    refuse("L1,income,simd2011,value,,,20,", "'targets.csv' line 2: unknown baseline release 'simd2011'");
    refuse("L1,income,simd2012,level,,,20,",
           "'targets.csv' line 2: measure must be value, gap_council or gap_scotland, not 'level'");
    /* the wrong direction: higher income deprivation is worse, so a later
     * target may not be higher; lower attainment is worse */
    refuse("L1,income,simd2012,value,20,25,,",
           "'targets.csv' line 2: the 3-year target 25 is worse than the 1-year target 20 (a higher income is worse)");
    refuse("L1,attain,simd2012,value,60,,55,",
           "'targets.csv' line 2: the 10-year target 55 is worse than the 1-year target 60 (a lower attain is worse)");
    refuse("L1,income,simd2012,value,,,20,2010", "'targets.csv' line 2: plan_year 2010 is before the baseline simd2012 (2012)");
    refuse("L1,income,simd2012,value,,,20,next", "'targets.csv' line 2: plan_year is not a year: 'next'");
    refuse("L1,income,simd2012,value,,2O,,", "'targets.csv' line 2: the 3-year target is not a number: '2O'");
    refuse("L1,income,simd2012,value,,,,", "'targets.csv' line 2: no target (give target_1y, target_3y or target_10y)");
    refuse(",income,simd2012,value,,,20,", "'targets.csv' line 2: no locality");
}

static const loc_progress_row *find(const loc_progress *pr, size_t line, const char *loc)
{
    for (size_t i = 0; i < loc_progress_nrows(pr); i++) {
        const loc_progress_row *w = loc_progress_row_get(pr, i);
        if (w->line == line && strcmp(w->locality, loc) == 0)
            return w;
    }
    return NULL;
}

static const loc_progress_row *trend(const loc_progress *pr, const char *ind, const char *loc)
{
    for (size_t i = 0; i < loc_progress_nrows(pr); i++) {
        const loc_progress_row *w = loc_progress_row_get(pr, i);
        if (w->is_trend && strcmp(w->indicator, ind) == 0 && strcmp(w->locality, loc) == 0)
            return w;
    }
    return NULL;
}

static void test_statuses(void **state)
{
    (void)state;
    fixture x;
    setup(&x);
    /* Excel's BOM and CRLF are the CSV reader's business. */
    loc_csv *tg = table(x.ctx, "targets.csv",
                        "\xEF\xBB\xBFlocality,indicator,baseline,measure,target_1y,target_3y,target_10y\r\n"
                        "L1,income,simd2012,value,29,27,15\r\n"     /* line 2: off track */
                        "L3,income,simd2012,value,,,15\r\n"         /* 3: on track */
                        "L2,income,simd2012,value,,,25\r\n"         /* 4: met */
                        "L3,income,simd2012,gap_council,,,3\r\n"    /* 5: cannot tell */
                        "L2,attain,simd2012,value,,,40\r\n"         /* 6: met at baseline */
                        "L2,income,simd2020v2,value,,,10\r\n"       /* 7: too early */
                        "*,income,simd2012,value,,,28\r\n"          /* 8: L1 and L3 (plan localities) */
                        "C2,income,simd2012,value,,,10\r\n"         /* 9: L3 only, off track */
                        "L2,income,simd2012,value,,,30\r\n"
                        "L2,attain,simd2012,value,,,45\r\n"
                        "L2,income,simd2020v2,value,,,25\r\n");
    loc_progress *pr = loc_progress_create(x.ctx, x.rel, 3, x.held, tg);
    if (!pr)
        fail_msg("%s", loc_errmsg(x.ctx));
    for (int k = 0; k < 3; k++)
        assert_int_equal(loc_progress_add_outputs(x.ctx, pr, (size_t)k, x.loc[k], x.ind[k], k ? NULL : x.car), LOC_OK);
    assert_int_equal(loc_progress_finish(x.ctx, pr), LOC_OK);

    /* L1: the line runs 30 (2012), 29 (2013), 27 (2015), 15 (2022): at 2020
     * 27 - 12 * 5/7 = 18.43; 22 is 3.57 behind, beyond 1.96 * sqrt(2) = 2.77 */
    const loc_progress_row *w = find(pr, 2, "L1");
    assert_non_null(w);
    assert_int_equal(w->status, LOC_PROG_OFF_TRACK);
    assert_float_equal(w->expected, 27 - 12.0 * 5 / 7, 1e-9);
    assert_float_equal(w->change, -8, 1e-9);
    assert_float_equal(w->change_se, sqrt(2), 1e-9);
    assert_int_equal(w->latest, 2);
    assert_non_null(strstr(w->note, "missing in simd2016")); /* the missing release */
    /* L3: the line is at 18 in 2020, on it; the fall of 12 is beyond the noise */
    w = find(pr, 3, "L3");
    assert_int_equal(w->status, LOC_PROG_ON_TRACK);
    assert_float_equal(w->expected, 18, 1e-9);
    assert_non_null(strstr(w->note, "simd2012: 25% of residents placed by most")); /* its zones changed */
    assert_int_equal(find(pr, 4, "L2")->status, LOC_PROG_MET);
    /* gap 5 -> 4 against a line at 3.4: within the noise both ways */
    w = find(pr, 5, "L3");
    assert_int_equal(w->status, LOC_PROG_CANNOT_TELL);
    assert_float_equal(w->change, -1, 1e-9);
    w = find(pr, 6, "L2");
    assert_int_equal(w->status, LOC_PROG_MET);
    assert_string_equal(w->note, "met at baseline and still met");
    w = find(pr, 10, "L2"); /* 30 against 30 at the baseline, 20 in 2020 */
    assert_int_equal(w->status, LOC_PROG_MET);
    assert_string_equal(w->note, "met at baseline and still met");
    w = find(pr, 11, "L2"); /* attainment 50 against 45, then 40: a fall of 10 beyond 2.77 */
    assert_int_equal(w->status, LOC_PROG_OFF_TRACK);
    assert_string_equal(w->note, "met at baseline, lost since (worsened beyond the noise)");
    w = find(pr, 12, "L2"); /* 20 against 25 in 2020, no later release */
    assert_int_equal(w->status, LOC_PROG_MET);
    assert_string_equal(w->note, "met at baseline");
    w = find(pr, 7, "L2");
    assert_int_equal(w->status, LOC_PROG_TOO_EARLY);
    assert_string_equal(w->note, "no release after 2020");
    assert_int_equal(find(pr, 8, "L1")->status, LOC_PROG_MET);
    assert_int_equal(find(pr, 8, "L3")->status, LOC_PROG_MET);
    assert_null(find(pr, 8, "L2")); /* no plan in 2012 */
    assert_int_equal(find(pr, 9, "L3")->status, LOC_PROG_OFF_TRACK);
    assert_null(find(pr, 9, "L1"));

    /* trends of the gap to the rest of the council, 2012 -> 2020 */
    assert_int_equal(trend(pr, "income", "L1")->status, LOC_PROG_NARROWED); /* 10 -> 2 */
    assert_int_equal(trend(pr, "income", "L2")->status, LOC_PROG_WIDENED);  /* 0 -> -10 */
    assert_int_equal(trend(pr, "income", "L3")->status, LOC_PROG_HELD);     /* 5 -> 4 */
    assert_int_equal(trend(pr, "attain", "L3")->status, LOC_PROG_HELD);
    /* attainment gap 0 -> -10 (lower is worse): away from nought, widened */
    assert_int_equal(trend(pr, "attain", "L2")->status, LOC_PROG_WIDENED);
    assert_null(trend(pr, "health", "L1")); /* not comparable */
    size_t c[4];
    loc_progress_trend_counts(pr, "income", 0, c);
    assert_int_equal(c[0], 1);
    assert_int_equal(c[1], 1);
    assert_int_equal(c[2], 1);
    assert_int_equal(c[3], 0);
    loc_progress_trend_counts(pr, "income", 1, c);
    assert_int_equal(c[0] + c[1] + c[2] + c[3], 2);
    assert_int_equal(c[1], 0);

    /* progress.csv */
    char path[] = "/tmp/test_progress_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(loc_progress_write(x.ctx, pr, path), LOC_OK);
    loc_csv *out = loc_csv_read(x.ctx, path);
    assert_non_null(out);
    assert_int_equal(loc_csv_nrows(out), loc_progress_nrows(pr));
    assert_int_equal(loc_csv_ncols(out), 11 + 3 * 9 + 6);
    assert_string_equal(loc_csv_field(out, 0, 0), "target");
    assert_string_equal(loc_csv_field(out, 0, 2), "A");
    assert_string_equal(loc_csv_field(out, 0, (size_t)loc_csv_column(out, "simd2012_gap_council")), "10");
    assert_string_equal(loc_csv_field(out, 0, (size_t)loc_csv_column(out, "simd2016_value")), "");
    assert_string_equal(loc_csv_field(out, 0, (size_t)loc_csv_column(out, "simd2020v2_value_low")), "20");
    assert_string_equal(loc_csv_field(out, 0, (size_t)loc_csv_column(out, "status")), "off_track");
    loc_csv_destroy(out);
    remove(path);
    loc_progress_destroy(pr);
    loc_csv_destroy(tg);
    teardown(&x);
}

/* Without targets: trends only; a missing release makes a trend of the
 * releases that ran, and a missing value cannot tell. */
static void test_trends_only(void **state)
{
    (void)state;
    fixture x;
    setup(&x);
    loc_progress *pr = loc_progress_create(x.ctx, x.rel, 3, x.held, NULL);
    assert_non_null(pr);
    assert_int_equal(loc_progress_add_outputs(x.ctx, pr, 0, x.loc[0], x.ind[0], NULL), LOC_OK);
    assert_int_equal(loc_progress_add_outputs(x.ctx, pr, 1, x.loc[1], x.ind[1], NULL), LOC_OK);
    assert_int_equal(loc_progress_finish(x.ctx, pr), LOC_OK);
    const loc_progress_row *w = trend(pr, "income", "L1");
    assert_int_equal(w->status, LOC_PROG_CANNOT_TELL); /* not in 2016 */
    assert_int_equal(w->latest, 1);
    w = trend(pr, "income", "L3");
    if (w->status != LOC_PROG_HELD)
        fail_msg("%s %s", loc_progress_status_name(w->status), w->note);
    assert_int_equal(loc_progress_nrows(pr), 6);
    assert_string_equal(loc_progress_status_name(LOC_PROG_CANNOT_TELL), "cannot_tell");
    loc_progress_destroy(pr);
    teardown(&x);
}

/* A gap that crosses nought from the worse side narrowed, with a note;
 * tables without the needed columns are refused. */
static void test_sign_and_bad_outputs(void **state)
{
    (void)state;
    fixture x;
    setup(&x);
    loc_csv *a = table(x.ctx, "a.csv", "locality_code,indicator,comparator,estimate,comparator_value,se\n"
                                       "L1,income,council_rest,24,20,1\n");
    loc_csv *b = table(x.ctx, "b.csv", "locality_code,indicator,comparator,estimate,comparator_value,se\n"
                                       "L1,income_rate,council_rest,15,20,1\n");
    loc_csv *bad = table(x.ctx, "bad.csv", "locality_code,indicator,estimate\nL1,income,3\n");
    loc_progress *pr = loc_progress_create(x.ctx, x.rel, 3, x.held, NULL);
    assert_non_null(pr);
    assert_int_equal(loc_progress_add_outputs(x.ctx, pr, 1, x.loc[1], bad, NULL), LOC_EDATA);
    assert_int_equal(loc_progress_add_outputs(x.ctx, pr, 5, x.loc[1], a, NULL), LOC_EINVAL);
    assert_int_equal(loc_progress_add_outputs(x.ctx, pr, 0, x.loc[0], a, NULL), LOC_OK);
    assert_int_equal(loc_progress_add_outputs(x.ctx, pr, 2, x.loc[2], b, NULL), LOC_OK);
    assert_int_equal(loc_progress_finish(x.ctx, pr), LOC_OK);
    const loc_progress_row *w = trend(pr, "income", "L1"); /* +4 -> -5: past nought, beyond 2.77 */
    assert_int_equal(w->status, LOC_PROG_NARROWED);
    assert_string_equal(w->note, "the gap changed sign; missing in simd2016");
    assert_int_equal(trend(pr, "income", "L2")->status, LOC_PROG_CANNOT_TELL);
    loc_progress_destroy(pr);
    loc_csv_destroy(a);
    loc_csv_destroy(b);
    loc_csv_destroy(bad);
    teardown(&x);
}

/* Out of memory anywhere: a clean LOC_ENOMEM and nothing leaked. */
static void test_enomem(void **state)
{
    (void)state;
    for (long n = 0;; n++) {
        fixture x;
        setup(&x);
        loc_csv *tg = table(x.ctx, "targets.csv", "locality,indicator,baseline,measure,target_10y\n*,income,simd2012,value,28\n");
        x.t.fail_after = x.t.calls + n;
        loc_progress *pr = loc_progress_create(x.ctx, x.rel, 3, x.held, tg);
        loc_status st = pr ? LOC_OK : loc_errcode(x.ctx);
        for (int k = 0; pr && !st && k < 3; k++)
            st = loc_progress_add_outputs(x.ctx, pr, (size_t)k, x.loc[k], x.ind[k], x.car);
        if (pr && !st)
            st = loc_progress_finish(x.ctx, pr);
        int failed = x.t.failures > 0;
        x.t.fail_after = -1;
        if (failed)
            assert_int_equal(st, LOC_ENOMEM);
        else
            assert_int_equal(st, LOC_OK);
        loc_progress_destroy(pr);
        loc_csv_destroy(tg);
        teardown(&x);
        if (!failed)
            break;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_release_year),
        cmocka_unit_test(test_bad_targets),
        cmocka_unit_test(test_statuses),
        cmocka_unit_test(test_trends_only),
        cmocka_unit_test(test_sign_and_bad_outputs),
        cmocka_unit_test(test_enomem),
    };
    if (getenv("TEST_FILTER"))
        cmocka_set_test_filter(getenv("TEST_FILTER"));
    return test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}

/*
 * Tests for the assessment: a hand-made table whose intervals are checked
 * against the statistics module called directly and against values worked
 * by hand, zero counts, counts equal to the denominator, tiny
 * denominators, an all-missing locality and a zone with no residents
 * (never NaN), the minimum effect, FDR control, the plan rule and the
 * guidance checks, the CSV tables, allocation failures; and the real data:
 * locality sums equal council and national totals for every indicator on
 * Stirling and on all of Scotland with intermediate zones as localities.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "localities/assess.h"
#include "localities/boundary.h"
#include "test_util.h"

#include <gdal.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Council A: zones A1-A6; council B: B1-B3 (reference for Scotland). */
static const char SPEC[] = "name,type,numerator,denominator,value,threshold,per,worse,method\n"
                           "zone,zone,,,Data_Zone,,,,\n"
                           "pop,population,,,Pop,,,,\n"
                           "council,council,,,Council,,,,\n"
                           "income,proportion,inc,Pop,,,,higher,\n"
                           "crime,rate,crime,Pop,,,1000,higher,\n"
                           "q1,share,,,Quintile,1,,higher,\n"
                           "smr,ratio,,,SMR,,,higher,normal\n"
                           "drive,mean,,,Drive,,,higher,none\n";

static const char IND[] = "Data_Zone,Council,Pop,inc,crime,Quintile,SMR,Drive\n"
                          "A1,A,1000,300,40,1,150,5\n"
                          "A2,A,1000,280,35,1,140,6\n"
                          "A3,A,1000,320,45,1,160,4\n"
                          "A4,A,1000,50,5,5,80,10\n"
                          "A5,A,1000,60,6,4,85,12\n"
                          "A6,A,0,0,0,3,*,*\n"
                          "B1,B,1000,100,10,3,100,8\n"
                          "B2,B,1000,100,10,3,100,8\n"
                          "B3,B,1000,100,10,3,100,9\n";

/* Localities: L1 = A1-A3 (deprived), L2 = A4-A6 (A6 has no residents). */
static const char LOCS[] = "zone,loc\nA1,L1\nA2,L1\nA3,L1\nA4,L2\nA5,L2\nA6,L2\n";

typedef struct fx {
    test_alloc ta;
    loc_ctx *ctx;
    loc_csv *ind;
    loc_spec *spec;
    loc_lookup *locs;
    loc_zones *z;
    loc_partition *p;
} fx;

static void fx_load(fx *f, const char *councils_chosen)
{
    memset(f, 0, sizeof *f);
    f->ctx = test_ctx(&f->ta);
    assert_non_null(f->ind = loc_csv_parse(f->ctx, "ind.csv", IND, strlen(IND)));
    assert_non_null(f->spec = loc_spec_parse(f->ctx, "spec.csv", SPEC, strlen(SPEC)));
    assert_non_null(f->locs = loc_lookup_parse(f->ctx, "locs.csv", LOCS, strlen(LOCS), NULL));
    const char *cc[] = {councils_chosen};
    loc_join_opts o = {.councils = councils_chosen ? cc : NULL, .ncouncils = councils_chosen ? 1 : 0};
    assert_non_null(f->z = loc_zones_join(f->ctx, NULL, f->ind, f->spec, NULL, 0, &o, NULL));
    assert_non_null(f->p = loc_partition_from_lookup(f->ctx, f->z, f->locs, NULL));
}

static void fx_free(fx *f)
{
    loc_partition_destroy(f->p);
    loc_zones_destroy(f->z);
    loc_lookup_destroy(f->locs);
    loc_spec_destroy(f->spec);
    loc_csv_destroy(f->ind);
    loc_ctx_destroy(f->ctx);
    assert_int_equal(f->ta.live, 0);
}

static long ind_index(const loc_zones *z, const char *name)
{
    for (size_t k = 0; k < loc_zones_nindicators(z); k++)
        if (!strcmp(loc_zones_indicator(z, k)->name, name))
            return (long)k;
    fail_msg("no indicator %s", name);
    return -1;
}

static void near(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.10g, want %.10g", got, want);
}

/* The z-test with the null variance, no overdispersion allowance: every
 * expected number below was computed independently (Python, scipy's
 * normal quantile 1.959963985) from the formulas in assess.h. */
static void test_proportion(void **state)
{
    (void)state;
    fx f;
    fx_load(&f, "A");
    loc_assess_opts o;
    loc_assess_opts_init(&o);
    o.conf = 0.95;
    o.min_effect_rel = 0;
    o.effects_from_spec = 0;
    o.od = LOC_OD_NONE;
    loc_assess *a = loc_assess_run(f.ctx, f.z, f.p, &o, NULL, NULL);
    assert_non_null(a);
    long inc = ind_index(f.z, "income");
    const loc_assess_cell *c = loc_assess_cell_get(a, 0, (size_t)inc, LOC_CMP_COUNCIL_REST);
    /* L1: 900 of 3000 = 30%; rest of A: 110 of 2000 = 5.5% (A6, with no
     * residents, is left out of the rate) */
    near(c->sum_x, 900, 0);
    near(c->sum_w, 3000, 0);
    near(c->est.est, 30, 1e-12);
    loc_interval w;
    assert_int_equal(loc_stats_wilson(900, 3000, 0.95, &w), LOC_OK);
    near(c->est.low, 100 * w.low, 1e-9); /* no allowance: the plain Wilson interval */
    near(c->est.high, 100 * w.high, 1e-9);
    near(c->est.low, 28.3866, 1e-3);
    near(c->cmp_value, 5.5, 1e-12);
    /* pooled 1010 / 5000: 24.5 +- 1.96 sqrt(0.202 0.798 (1/3000 + 1/2000)) */
    near(c->diff.low, 22.228385677, 1e-6);
    near(c->diff.high, 26.771614323, 1e-6);
    near(c->p, 3.5013223136e-99, 1e-108);
    assert_int_equal(c->flag, LOC_FLAG_POORER);
    near(c->limit, 1.959963985 * c->se, 1e-6);
    /* against Scotland: 1310 of 8000 = 16.375%, variance at 16.375% */
    c = loc_assess_cell_get(a, 0, (size_t)inc, LOC_CMP_SCOTLAND);
    near(c->cmp_value, 100 * 1310.0 / 8000, 1e-9);
    near(c->diff.low, 12.300822564, 1e-6);
    near(c->diff.high, 14.949177436, 1e-6);
    near(c->se, 0.67561314744, 1e-8);
    near(c->size, 3000, 0);
    assert_int_equal(c->flag, LOC_FLAG_POORER);
    /* L2 is better than the rest of A; its zone with no residents is left
     * out of the rate and counted missing, and nothing is NaN */
    c = loc_assess_cell_get(a, 1, (size_t)inc, LOC_CMP_COUNCIL_REST);
    assert_int_equal(c->zones_used, 2);
    assert_int_equal(c->zones_missing, 1);
    near(c->est.est, 100 * 110.0 / 2000, 1e-12);
    assert_int_equal(c->flag, LOC_FLAG_UNRELIABLE); /* two usable zones: under the minimum of 3 */
    loc_assess_destroy(a);
    /* the zone-level design effect: the zones' pooled spread inside the
     * localities, 0.85 / 3000, over L1's 3 effective zones */
    o.od = LOC_OD_ZONES;
    a = loc_assess_run(f.ctx, f.z, f.p, &o, NULL, NULL);
    assert_non_null(a);
    c = loc_assess_cell_get(a, 0, (size_t)inc, LOC_CMP_SCOTLAND);
    near(c->diff.low, 11.720257382, 1e-6);
    near(c->diff.high, 15.529742618, 1e-6);
    near(c->size, 3, 1e-12);
    c = loc_assess_cell_get(a, 0, (size_t)inc, LOC_CMP_COUNCIL_REST);
    near(c->diff.low, 21.488337485, 1e-6);
    near(c->diff.high, 27.511662515, 1e-6);
    /* the locality's own interval widens by the same design effect */
    assert_true(c->est.high - c->est.low > 100 * (w.high - w.low));
    loc_assess_destroy(a);
    fx_free(&f);
}

static void test_rate_share_mean(void **state)
{
    (void)state;
    fx f;
    fx_load(&f, "A");
    loc_assess_opts o;
    loc_assess_opts_init(&o);
    o.conf = 0.95;
    o.min_effect_rel = 0;
    loc_assess *a = loc_assess_run(f.ctx, f.z, f.p, &o, NULL, NULL);
    assert_non_null(a);
    /* crime: 120 per 3000 = 40 per 1000 */
    const loc_assess_cell *c = loc_assess_cell_get(a, 0, (size_t)ind_index(f.z, "crime"), LOC_CMP_SCOTLAND);
    near(c->est.est, 40, 1e-12);
    loc_interval r;
    assert_int_equal(loc_stats_rate(120, 3000, 0.95, LOC_STATS_EXACT_BELOW, &r), LOC_OK);
    near(c->est.low, 1000 * r.low, 1e-9);
    near(c->cmp_value, 1000 * 161.0 / 8000, 1e-9);
    /* share: L1 is all quintile 1, 100%; L2 none (A6 has no residents) */
    c = loc_assess_cell_get(a, 0, (size_t)ind_index(f.z, "q1"), LOC_CMP_SCOTLAND);
    near(c->est.est, 100, 1e-12);
    near(c->cmp_value, 100 * 3000.0 / 8000, 1e-9);
    /* Wilson on 3 effective zones, 3 of 3: low = n / (n + z^2) = 3 / 6.8415 */
    near(c->est.low, 100 * 3 / (3 + 1.959964 * 1.959964), 1e-3);
    c = loc_assess_cell_get(a, 1, (size_t)ind_index(f.z, "q1"), LOC_CMP_COUNCIL_REST);
    near(c->est.est, 0, 1e-12);
    /* SMR, weighted by population: L1 (150+140+160)/3 = 150 */
    c = loc_assess_cell_get(a, 0, (size_t)ind_index(f.z, "smr"), LOC_CMP_COUNCIL_REST);
    near(c->est.est, 150, 1e-9);
    near(c->cmp_value, 82.5, 1e-9);
    assert_true(!isnan(c->diff.low));
    /* L2's SMR: A6 missing, two zones used */
    c = loc_assess_cell_get(a, 1, (size_t)ind_index(f.z, "smr"), LOC_CMP_COUNCIL_REST);
    assert_int_equal(c->zones_used, 2);
    assert_int_equal(c->zones_missing, 1);
    assert_int_equal(c->flag, LOC_FLAG_UNRELIABLE); /* fewer than 3 zones */
    /* drive time: method none, reported and never tested */
    c = loc_assess_cell_get(a, 0, (size_t)ind_index(f.z, "drive"), LOC_CMP_SCOTLAND);
    near(c->est.est, 5, 1e-9);
    assert_true(isnan(c->diff.low));
    assert_int_equal(c->flag, LOC_FLAG_SAME);
    loc_assess_destroy(a);
    fx_free(&f);
}

/* Plan rule, minimum effect, FDR, unreliable denominators, guidance. */
static void test_rules(void **state)
{
    (void)state;
    fx f;
    fx_load(&f, "A");
    loc_assess_opts o;
    loc_assess_opts_init(&o);
    o.conf = 0.95;
    o.min_effect_rel = 0;
    o.effects_from_spec = 0;
    o.od = LOC_OD_NONE;
    o.plan_min_domains = 2;
    loc_assess *a = loc_assess_run(f.ctx, f.z, f.p, &o, NULL, NULL);
    assert_non_null(a);
    /* no domains in the spec: each tested indicator is a domain of its own
     * (income, crime, smr; the share routes on its own; drive is untested) */
    assert_int_equal(loc_assess_ndomains(a), 3);
    assert_int_equal(loc_assess_qualifies(a, 0), 1);
    assert_int_equal(loc_assess_qualifies(a, 1), 0);
    assert_int_equal(loc_assess_nqualifying(a), 1);
    assert_int_equal(loc_assess_share_poorer(a, 0), 1);
    assert_true(loc_assess_poorer_domains(a, 0, LOC_CMP_COUNCIL_REST) >= 2);
    assert_non_null(strstr(loc_assess_reason(a, 0), "q1 poorer than the rest of the council"));
    assert_non_null(strstr(loc_assess_reason(a, 0), "domains poorer than the rest of the council: income (income)"));
    assert_string_equal(loc_assess_reason(a, 1), "");
    assert_string_equal(loc_assess_reason_brief(a, 1), "");
    assert_non_null(strstr(loc_assess_reason_brief(a, 0), "more residents in Scotland's most deprived zones than"));
    assert_non_null(strstr(loc_assess_reason_brief(a, 0), "poorer than the rest of the council in"));
    assert_int_equal(loc_assess_discontiguous(a, 0), -1);
    assert_int_equal(loc_assess_over_ceiling(a, 0), 0);
    assert_non_null(strstr(loc_assess_rule(a), "95% intervals, no overdispersion allowance"));
    assert_non_null(strstr(loc_assess_rule(a), "in at least 2 of its 3 domains"));
    loc_assess_destroy(a);
    /* an effect of at least 10 times the comparator: income (30% against
     * 5.5%) is no longer flagged; the share (100% against 0%) still is, as
     * a share of nothing is no threshold */
    o.min_effect_rel = 10;
    a = loc_assess_run(f.ctx, f.z, f.p, &o, NULL, NULL);
    assert_int_equal(loc_assess_cell_get(a, 0, (size_t)ind_index(f.z, "income"), LOC_CMP_COUNCIL_REST)->flag,
                     LOC_FLAG_SAME);
    assert_int_equal(loc_assess_cell_get(a, 0, (size_t)ind_index(f.z, "q1"), LOC_CMP_COUNCIL_REST)->flag,
                     LOC_FLAG_POORER);
    loc_assess_destroy(a);
    /* FDR: q-values printed, the flags read from q, the interval (at the
     * procedure's own level) and the p-value alike */
    o.min_effect_rel = 0;
    o.fdr = 0.05;
    for (int m = 0; m < 2; m++) {
        o.fdr_method = m ? LOC_FDR_BY : LOC_FDR_BH;
        a = loc_assess_run(f.ctx, f.z, f.p, &o, NULL, NULL);
        assert_non_null(a);
        assert_true(loc_assess_poorer(a, 0, LOC_CMP_COUNCIL_REST) >= 1);
        assert_non_null(strstr(loc_assess_rule(a), m ? "Benjamini-Yekutieli false discovery rate 0.05"
                                                      : "Benjamini-Hochberg false discovery rate 0.05"));
        double zq = loc_assess_z(a);
        for (size_t k = 0; k < 2; k++)
            for (size_t j = 0; j < loc_zones_nindicators(f.z); j++)
                for (int c = 0; c < 2; c++) {
                    const loc_assess_cell *cell = loc_assess_cell_get(a, k, j, (loc_comparator)c);
                    if (cell->flag == LOC_FLAG_UNRELIABLE || isnan(cell->diff.est))
                        continue;
                    int sig = cell->flag == LOC_FLAG_POORER || cell->flag == LOC_FLAG_BETTER;
                    assert_false(isnan(cell->q));
                    assert_int_equal(sig, cell->q < 0.05);
                    assert_int_equal(sig, cell->diff.low > 0 || cell->diff.high < 0);
                    assert_int_equal(sig, cell->p < 2 * (1 - loc_stats_norm_cdf(zq)));
                }
        loc_assess_destroy(a);
    }
    /* a denominator below the minimum is unreliable, never flagged */
    o.fdr = 0;
    o.min_denom = 1e6;
    o.max_pop = 2500;
    a = loc_assess_run(f.ctx, f.z, f.p, &o, NULL, NULL);
    assert_int_equal(loc_assess_cell_get(a, 0, (size_t)ind_index(f.z, "income"), LOC_CMP_SCOTLAND)->flag,
                     LOC_FLAG_UNRELIABLE);
    assert_int_equal(loc_assess_over_ceiling(a, 0), 1);
    loc_assess_destroy(a);
    o.conf = 1;
    assert_null(loc_assess_run(f.ctx, f.z, f.p, &o, NULL, NULL));
    assert_non_null(strstr(loc_errmsg(f.ctx), "confidence must lie between 0 and 1"));
    fx_free(&f);
}

/* Domains from the spec: a domain is poorer when at least half of its
 * tested indicators are; the spec's minimum effects apply per indicator. */
static void test_domains_and_effects(void **state)
{
    (void)state;
    static const char spec[] = "name,type,numerator,denominator,value,threshold,per,worse,method,domain,min_effect\n"
                               "zone,zone,,,Data_Zone,,,,,,\n"
                               "pop,population,,,Pop,,,,,,\n"
                               "council,council,,,Council,,,,,,\n"
                               "income,proportion,inc,Pop,,,,higher,,money,2\n"
                               "crime,rate,crime,Pop,,,1000,higher,,safety,50%\n"
                               "smr,ratio,,,SMR,,,higher,normal,health,0.1sd\n"
                               "drive,mean,,,Drive,,,higher,none,access,\n";
    loc_ctx *ctx = loc_ctx_create(NULL);
    loc_csv *ind = loc_csv_parse(ctx, "ind.csv", IND, strlen(IND));
    loc_spec *sp = loc_spec_parse(ctx, "spec.csv", spec, strlen(spec));
    loc_lookup *lk = loc_lookup_parse(ctx, "locs.csv", LOCS, strlen(LOCS), NULL);
    assert_non_null(sp);
    loc_zones *z = loc_zones_join(ctx, NULL, ind, sp, NULL, 0, NULL, NULL);
    loc_partition *p = loc_partition_from_lookup(ctx, z, lk, NULL);
    loc_assess_opts o;
    loc_assess_opts_init(&o);
    o.conf = 0.95;
    o.od = LOC_OD_NONE;
    loc_assess *a = loc_assess_run(ctx, z, p, &o, NULL, NULL);
    assert_non_null(a);
    /* drive is untested, so its domain is not part of the rule */
    assert_int_equal(loc_assess_ndomains(a), 3);
    assert_string_equal(loc_assess_domain(a, 0), "money");
    /* income's effect is 2 points; crime's half of the comparator */
    near(loc_assess_cell_get(a, 0, (size_t)ind_index(z, "income"), LOC_CMP_SCOTLAND)->effect, 2, 1e-12);
    const loc_assess_cell *c = loc_assess_cell_get(a, 0, (size_t)ind_index(z, "crime"), LOC_CMP_SCOTLAND);
    near(c->effect, 0.5 * c->cmp_value, 1e-9);
    /* with the analyst's own effect for every indicator, the spec's give way */
    o.effects_from_spec = 0;
    o.min_effect_abs = 3;
    o.min_effect_rel = 0;
    loc_assess_destroy(a);
    a = loc_assess_run(ctx, z, p, &o, NULL, NULL);
    near(loc_assess_cell_get(a, 0, (size_t)ind_index(z, "income"), LOC_CMP_SCOTLAND)->effect, 3, 1e-12);
    loc_assess_destroy(a);
    loc_partition_destroy(p);
    loc_zones_destroy(z);
    loc_lookup_destroy(lk);
    loc_spec_destroy(sp);
    loc_csv_destroy(ind);
    loc_ctx_destroy(ctx);
}

/* A flag that changes across a suppressed count's range is marked. */
static void test_suppressed_sensitivity(void **state)
{
    (void)state;
    static const char spec[] = "name,type,numerator,denominator,per,worse,suppressed\n"
                               "zone,zone,,,,,\n"
                               "pop,population,,,,,\n"
                               "council,council,,,,,\n"
                               "crime,rate,crime,Pop,1000,higher,0..40\n";
    static const char ind[] = "zone,Council,Pop,crime\n"
                              "A1,A,1000,*\nA2,A,1000,*\nA3,A,1000,*\n"
                              "A4,A,1000,20\nA5,A,1000,20\nA6,A,1000,20\n";
    static const char sp2[] = "name,type,numerator,denominator,value,per,worse,suppressed\n"
                              "zone,zone,,,zone,,,\n"
                              "pop,population,,,Pop,,,\n"
                              "council,council,,,Council,,,\n"
                              "crime,rate,crime,Pop,,1000,higher,0..40\n";
    (void)spec;
    loc_ctx *ctx = loc_ctx_create(NULL);
    loc_csv *csv = loc_csv_parse(ctx, "ind.csv", ind, strlen(ind));
    loc_spec *sp = loc_spec_parse(ctx, "spec.csv", sp2, strlen(sp2));
    assert_non_null(sp);
    loc_lookup *lk = loc_lookup_parse(ctx, "locs.csv", LOCS, strlen(LOCS), NULL);
    loc_zones *z = loc_zones_join(ctx, NULL, csv, sp, NULL, 0, NULL, NULL);
    assert_non_null(z);
    loc_partition *p = loc_partition_from_lookup(ctx, z, lk, NULL);
    loc_assess_opts o;
    loc_assess_opts_init(&o);
    o.conf = 0.95;
    o.od = LOC_OD_NONE;
    o.effects_from_spec = 0;
    o.min_effect_rel = 0;
    loc_assess *a = loc_assess_run(ctx, z, p, &o, NULL, NULL);
    assert_non_null(a);
    /* L1's three zones stand for 0 to 40 crimes each, 20 at the middle:
     * equal to L2 there, far below or above it at the ends */
    const loc_assess_cell *c = loc_assess_cell_get(a, 0, 0, LOC_CMP_COUNCIL_REST);
    assert_int_equal(c->zones_suppressed, 3);
    near(c->est.est, 20, 1e-12);
    assert_int_equal(c->flag, LOC_FLAG_SAME);
    assert_int_equal(c->flag_sensitive, 1);
    /* L2 has none of its own, but its comparator (L1) does */
    c = loc_assess_cell_get(a, 1, 0, LOC_CMP_COUNCIL_REST);
    assert_int_equal(c->zones_suppressed, 0);
    assert_int_equal(c->flag_sensitive, 1);
    loc_assess_destroy(a);
    loc_partition_destroy(p);
    loc_zones_destroy(z);
    loc_lookup_destroy(lk);
    loc_spec_destroy(sp);
    loc_csv_destroy(csv);
    loc_ctx_destroy(ctx);
}

/* Zero counts, counts equal to the denominator, an all-missing locality. */
static void test_edges(void **state)
{
    (void)state;
    static const char IND2[] = "Data_Zone,Council,Pop,inc,crime,Quintile,SMR,Drive\n"
                               "A1,A,500,0,0,1,*,*\nA2,A,500,0,0,1,*,*\nA3,A,500,0,0,1,*,*\n"
                               "A4,A,500,500,3,5,*,*\nA5,A,500,500,2,5,*,*\nA6,A,500,500,1,5,*,*\n";
    loc_ctx *ctx = loc_ctx_create(NULL);
    loc_csv *ind = loc_csv_parse(ctx, "ind2.csv", IND2, strlen(IND2));
    loc_spec *spec = loc_spec_parse(ctx, "spec.csv", SPEC, strlen(SPEC));
    loc_lookup *lk = loc_lookup_parse(ctx, "locs.csv", LOCS, strlen(LOCS), NULL);
    loc_zones *z = loc_zones_join(ctx, NULL, ind, spec, NULL, 0, NULL, NULL);
    assert_non_null(z);
    loc_partition *p = loc_partition_from_lookup(ctx, z, lk, NULL);
    loc_assess *a = loc_assess_run(ctx, z, p, NULL, NULL, NULL);
    assert_non_null(a);
    const loc_assess_cell *c = loc_assess_cell_get(a, 0, (size_t)ind_index(z, "income"), LOC_CMP_COUNCIL_REST);
    near(c->est.est, 0, 0);
    near(c->est.low, 0, 0);
    assert_true(c->est.high > 0);
    assert_int_equal(c->flag, LOC_FLAG_BETTER);
    c = loc_assess_cell_get(a, 1, (size_t)ind_index(z, "income"), LOC_CMP_COUNCIL_REST);
    near(c->est.est, 100, 0);
    near(c->est.high, 100, 0);
    assert_int_equal(c->flag, LOC_FLAG_POORER);
    /* crime: 0 and 6 events, the exact Poisson interval */
    c = loc_assess_cell_get(a, 0, (size_t)ind_index(z, "crime"), LOC_CMP_SCOTLAND);
    near(c->est.est, 0, 0);
    assert_true(isfinite(c->est.high));
    /* SMR all missing: unreliable, no estimate */
    c = loc_assess_cell_get(a, 0, (size_t)ind_index(z, "smr"), LOC_CMP_SCOTLAND);
    assert_int_equal(c->flag, LOC_FLAG_UNRELIABLE);
    assert_int_equal(c->zones_missing, 3);
    assert_true(isnan(c->est.est));
    loc_assess_destroy(a);
    loc_partition_destroy(p);
    loc_zones_destroy(z);
    loc_lookup_destroy(lk);
    loc_spec_destroy(spec);
    loc_csv_destroy(ind);
    loc_ctx_destroy(ctx);
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = 0;
    fclose(fp);
    return buf;
}

static void test_tables(void **state)
{
    (void)state;
    fx f;
    fx_load(&f, "A");
    loc_assess *a = loc_assess_run(f.ctx, f.z, f.p, NULL, NULL, NULL);
    assert_non_null(a);
    char dir[] = "/tmp/loc-assess-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char p1[64], p2[64];
    snprintf(p1, sizeof p1, "%s/indicators.csv", dir);
    snprintf(p2, sizeof p2, "%s/localities.csv", dir);
    assert_int_equal(loc_assess_write_indicators(f.ctx, a, p1), LOC_OK);
    assert_int_equal(loc_assess_write_localities(f.ctx, a, p2), LOC_OK);
    char *s = slurp(p1);
    assert_non_null(s);
    static const char HEAD[] = "locality_code,indicator,comparator,estimate,ci_low,ci_high,comparator_value,diff_low,"
                               "diff_high,flag,p_value,numerator,denominator,zones_used,zones_missing,q_value,se,"
                               "limit,min_effect,funnel_size,zones_suppressed,flag_depends_on_suppressed\n"
                               "L1,income,council_rest,30,";
    assert_true(strncmp(s, HEAD, strlen(HEAD)) == 0);
    /* the sums and zone counts behind the first estimate: 900 of 3000 in 3 zones */
    assert_non_null(strstr(s, ",900,3000,3,0,"));
    /* A6 has no SMR: L2's SMR rests on 2 zones with 1 missing */
    char *smr = strstr(s, "\nL2,smr,scotland,");
    assert_non_null(smr);
    char *eol = strchr(smr + 1, '\n');
    assert_non_null(eol);
    assert_non_null(strstr(smr, ",2,1,"));
    assert_true(strstr(smr, ",2,1,") < eol);
    assert_null(strstr(s, "nan"));
    assert_null(strstr(s, "inf"));
    size_t lines = 0;
    for (char *q = s; *q; q++)
        lines += *q == '\n';
    assert_int_equal(lines, 1 + 2 * 5 * 2);
    s = slurp(p2);
    assert_non_null(strstr(s, "L2,,A,A,2000,3,"));
    assert_non_null(strstr(s, ",plan_reason\n"));
    /* overdispersion.csv: a row per tested indicator and comparator */
    char p3[96];
    snprintf(p3, sizeof p3, "%s/overdispersion.csv", dir);
    assert_int_equal(loc_assess_write_dispersion(f.ctx, a, p3), LOC_OK);
    s = slurp(p3);
    assert_non_null(s);
    assert_true(strncmp(s, "indicator,comparator,method,units,from_zones,phi,tau2,within_sd,dispersion_within,applied\n",
                        88) == 0);
    /* four tested indicators (income, crime, q1, smr), two comparators;
     * two localities are too few, so phi and tau^2 come from the zones */
    lines = 0;
    for (char *q = s; *q; q++)
        lines += *q == '\n';
    assert_int_equal(lines, 1 + 4 * 2);
    assert_non_null(strstr(s, "\nincome,council_rest,proportion,"));
    assert_non_null(strstr(s, ",1,")); /* from_zones */
    assert_non_null(strstr(s, ",zones\n"));
    unlink(p3);
    unlink(p1);
    unlink(p2);
    rmdir(dir);
    assert_int_equal(loc_assess_write_indicators(f.ctx, a, "/nonexistent-dir/indicators.csv"), LOC_EIO);
    loc_assess_destroy(a);
    fx_free(&f);
}

static void test_assess_alloc(void **state)
{
    (void)state;
    fx f;
    fx_load(&f, "A");
    for (long k = 0;; k++) {
        f.ta.fail_after = f.ta.calls + k;
        long live = f.ta.live;
        loc_assess *a = loc_assess_run(f.ctx, f.z, f.p, NULL, NULL, NULL);
        f.ta.fail_after = -1;
        if (a) {
            loc_assess_destroy(a);
            break;
        }
        assert_int_equal(loc_errcode(f.ctx), LOC_ENOMEM);
        assert_int_equal(f.ta.live, live);
    }
    fx_free(&f);
}

/* One decision, one picture: every tested cell is flagged exactly when it
 * lies outside the limits the report draws (the funnel against Scotland,
 * its own limit against the rest of the council), on the flag's side. */
static size_t check_agreement(const loc_zones *z, const loc_partition *p, const loc_assess *a)
{
    size_t checked = 0;
    for (size_t k = 0; k < loc_partition_count(p); k++)
        for (size_t j = 0; j < loc_zones_nindicators(z); j++) {
            if (!loc_assess_tested(a, j))
                continue;
            int worse_high = loc_zones_indicator(z, j)->higher_is_worse;
            for (int c = 0; c < 2; c++) {
                const loc_assess_cell *cell = loc_assess_cell_get(a, k, j, (loc_comparator)c);
                if (cell->flag == LOC_FLAG_UNRELIABLE || isnan(cell->diff.est))
                    continue;
                double d = cell->diff.est, margin;
                int above, below;
                if (c == LOC_CMP_SCOTLAND) {
                    double lo, hi;
                    loc_assess_funnel(a, j, cell->size, &lo, &hi);
                    above = cell->est.est > hi;
                    below = cell->est.est < lo;
                    margin = fmin(fabs(cell->est.est - hi), fabs(cell->est.est - lo));
                } else {
                    above = d > cell->limit;
                    below = d < -cell->limit;
                    margin = fabs(fabs(d) - cell->limit);
                }
                if (margin < 1e-9 * fmax(1, fabs(cell->est.est)))
                    continue; /* on the line itself: either reading is right */
                int poorer = worse_high ? above : below, better = worse_high ? below : above;
                if (poorer != (cell->flag == LOC_FLAG_POORER) || better != (cell->flag == LOC_FLAG_BETTER))
                    fail_msg("locality %zu, %s, %s: flag %s but %s the drawn limits", k,
                             loc_zones_indicator(z, j)->name, c ? "scotland" : "council_rest",
                             loc_stats_flag_name(cell->flag), above || below ? "outside" : "inside");
                checked++;
            }
        }
    return checked;
}

/* Real data: the localities' sums add up to their councils' totals and,
 * with every council studied, to Scotland's, for every indicator. */
static void real_sums(const char *bpath, const char *council, size_t want_loc)
{
    const char *ind = LOC_DATA_DIR "/scotland/simd2020v2_withinds.csv";
    const char *lk = LOC_DATA_DIR "/scotland/dz2011_iz2011_council_lookup.csv";
    GDALAllRegister();
    loc_ctx *ctx = loc_ctx_create(NULL);
    loc_boundaries *b = loc_boundaries_read(ctx, bpath, NULL);
    loc_csv *csv = loc_csv_read(ctx, ind);
    loc_spec *spec = loc_spec_read(ctx, LOC_DATA_DIR "/specs/simd2020v2.csv");
    loc_lookup *l = loc_lookup_read(ctx, lk, NULL);
    assert_non_null(b);
    assert_non_null(csv);
    assert_non_null(spec);
    assert_non_null(l);
    const loc_lookup *ls[] = {l};
    const char *cc[] = {council};
    loc_join_opts o = {.councils = council ? cc : NULL, .ncouncils = council ? 1 : 0};
    loc_zones *z = loc_zones_join(ctx, b, csv, spec, ls, 1, &o, NULL);
    assert_non_null(z);
    loc_partition *p = loc_partition_from_lookup(ctx, z, l, "iz11_code");
    assert_non_null(p);
    assert_int_equal(loc_partition_count(p), want_loc);
    loc_assess *a = loc_assess_run(ctx, z, p, NULL, NULL, NULL);
    assert_non_null(a);
    size_t ni = loc_zones_nindicators(z), nz = loc_zones_count(z);
    for (size_t j = 0; j < ni; j++) {
        const loc_indicator *in = loc_zones_indicator(z, j);
        const double *c0 = loc_zones_column(z, j, 0), *c1 = loc_zones_column(z, j, 1);
        /* the study zones' totals, straight from the columns */
        double tx = 0, tw = 0;
        for (size_t i = 0; i < nz; i++) {
            if (!loc_zones_in_study(z, i) || !isfinite(c0[i]) || !isfinite(c1[i]))
                continue;
            if (in->type == LOC_IND_PROPORTION || in->type == LOC_IND_RATE) {
                tx += c0[i];
                tw += c1[i];
            } else if (in->type == LOC_IND_SHARE) {
                tw += c1[i];
                tx += c0[i] <= in->threshold ? c1[i] : 0;
            } else if (c1[i] > 0) {
                tx += c1[i] * c0[i];
                tw += c1[i];
            }
        }
        double sx = 0, sw = 0;
        for (size_t k = 0; k < loc_partition_count(p); k++) {
            const loc_assess_cell *c = loc_assess_cell_get(a, k, j, LOC_CMP_SCOTLAND);
            sx += c->sum_x;
            sw += c->sum_w;
            for (int q = 0; q < 2; q++) {
                const loc_assess_cell *cq = loc_assess_cell_get(a, k, j, (loc_comparator)q);
                assert_false(isinf(cq->est.est));
                assert_false(isnan(cq->cmp_value) && cq->flag != LOC_FLAG_UNRELIABLE && q == 1);
            }
        }
        if (fabs(sx - tx) > 1e-9 * fmax(1, fabs(tx)) || fabs(sw - tw) > 1e-9 * fmax(1, tw))
            fail_msg("%s: localities sum to %.6f / %.6f, the zones to %.6f / %.6f", in->name, sx, sw, tx, tw);
    }
    print_message("%s: %zu localities, %zu tests, %zu qualify; sums equal the totals for %zu indicators\n",
                  council ? council : "Scotland", loc_partition_count(p), loc_assess_ntests(a),
                  loc_assess_nqualifying(a), ni);
    loc_assess_destroy(a);
    /* the picture agrees with the flags under every allowance, and with
     * the false discovery rate's own level */
    for (int m = 0; m <= LOC_OD_ZONES + 1; m++) {
        loc_assess_opts ao;
        loc_assess_opts_init(&ao);
        if (m <= LOC_OD_ZONES)
            ao.od = (loc_od_mode)m;
        else
            ao.fdr = 0.05;
        a = loc_assess_run(ctx, z, p, &ao, NULL, NULL);
        assert_non_null(a);
        size_t n = check_agreement(z, p, a);
        assert_true(n > 0);
        loc_assess_destroy(a);
    }
    loc_partition_destroy(p);
    loc_zones_destroy(z);
    loc_lookup_destroy(l);
    loc_spec_destroy(spec);
    loc_csv_destroy(csv);
    loc_boundaries_destroy(b);
    loc_ctx_destroy(ctx);
}

/*
 * Coverage of the interval for ratios and means, by simulation on the real
 * Stirling zones: a locality of 3 to 8 of the council's zones drawn at
 * random (a sample of the council's zones, as the interval assumes), its
 * 95% interval checked for the council's own population-weighted value,
 * 4,000 draws per indicator.  The interval must cover it at least 94.5% of
 * the time and never leave the values the indicator can take.
 */
static void test_mean_coverage(void **state)
{
    (void)state;
    loc_ctx *ctx = loc_ctx_create(NULL);
    loc_csv *csv = loc_csv_read(ctx, LOC_DATA_DIR "/stirling/simd2020v2_stirling.csv");
    loc_spec *spec = loc_spec_read(ctx, LOC_DATA_DIR "/specs/simd2020v2.csv");
    assert_non_null(csv);
    assert_non_null(spec);
    loc_zones *z = loc_zones_join(ctx, NULL, csv, spec, NULL, 0, NULL, NULL);
    assert_non_null(z);
    size_t n = loc_zones_count(z);
    int32_t *lab = malloc(n * sizeof *lab);
    const char *codes[] = {"L1", "L2"};
    static const char *const names[] = {"mortality_smr", "drug", "attendance", "low_birth_weight", "university"};
    size_t nn = sizeof names / sizeof *names, hits[5] = {0}, tried[5] = {0};
    uint64_t rng = 12345;
    loc_assess_opts o;
    loc_assess_opts_init(&o);
    o.conf = 0.95;
    o.od = LOC_OD_NONE;
    o.min_zones = 1;
    for (int draw = 0; draw < 4000; draw++) {
        size_t m = 3 + (size_t)(draw % 6);
        for (size_t i = 0; i < n; i++)
            lab[i] = 1;
        for (size_t got = 0; got < m;) {
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            size_t i = (size_t)(rng >> 33) % n;
            if (lab[i] == 1) {
                lab[i] = 0;
                got++;
            }
        }
        loc_partition *p = loc_partition_create(ctx, z, lab, 2, codes, NULL);
        assert_non_null(p);
        loc_assess *a = loc_assess_run(ctx, z, p, &o, NULL, NULL);
        assert_non_null(a);
        for (size_t q = 0; q < nn; q++) {
            size_t j = (size_t)ind_index(z, names[q]);
            const loc_indicator *ind = loc_zones_indicator(z, j);
            const loc_assess_cell *c = loc_assess_cell_get(a, 0, j, LOC_CMP_SCOTLAND);
            /* the council's value: the locality and the rest together */
            const loc_assess_cell *r = loc_assess_cell_get(a, 1, j, LOC_CMP_SCOTLAND);
            double truth = (c->sum_x + r->sum_x) / (c->sum_w + r->sum_w);
            if (isnan(c->est.low))
                continue;
            assert_true(c->est.low >= ind->lower && c->est.high <= ind->upper);
            tried[q]++;
            hits[q] += c->est.low <= truth && truth <= c->est.high;
        }
        loc_assess_destroy(a);
        loc_partition_destroy(p);
    }
    for (size_t q = 0; q < nn; q++) {
        double cover = (double)hits[q] / (double)tried[q];
        print_message("%s: 95%% interval covered the council's value in %.1f%% of %zu draws\n", names[q],
                      100 * cover, tried[q]);
        assert_true(tried[q] > 3000);
        assert_true(cover >= 0.945);
    }
    free(lab);
    loc_zones_destroy(z);
    loc_spec_destroy(spec);
    loc_csv_destroy(csv);
    loc_ctx_destroy(ctx);
}

static void test_real(void **state)
{
    (void)state;
    REQUIRE_DATA(LOC_DATA_DIR "/scotland/dz2011_scotland_simplified.gpkg");
    real_sums(LOC_DATA_DIR "/stirling/dz2011_stirling.gpkg", "S12000030", 24);
    real_sums(LOC_DATA_DIR "/scotland/dz2011_scotland_simplified.gpkg", NULL, 1279);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proportion), cmocka_unit_test(test_rate_share_mean), cmocka_unit_test(test_rules),
        cmocka_unit_test(test_edges),      cmocka_unit_test(test_tables),          cmocka_unit_test(test_assess_alloc),
        cmocka_unit_test(test_real), cmocka_unit_test(test_domains_and_effects),
        cmocka_unit_test(test_suppressed_sensitivity), cmocka_unit_test(test_mean_coverage),
    };
    return test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}

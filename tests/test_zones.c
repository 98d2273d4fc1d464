/*
 * Tests for the zone table join: hand-made indicator files, specs and
 * lookups for every message the join can give, and the real data (embedded
 * Stirling subset, all-Scotland 2011 set in data/, and the SIMD 2012/2016
 * releases in ../shared when present) for counts an analyst would check
 * against the publisher's figures.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "localities/zones.h"
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char SPEC[] = "name,type,numerator,denominator,value,threshold,per,worse\n"
                           "zone,zone,,,Data_Zone,,,\n"
                           "pop,population,,,Total_population,,,\n"
                           "council,council,,,Council_area,,,\n"
                           "income,proportion,income_count,Total_population,,,,higher\n"
                           "crime,rate,crime_count,Total_population,,,10000,higher\n"
                           "smr,ratio,,,SMR,,,higher\n"
                           "q1,share,,,Quintile,1,,higher\n";

static const char IND[] = "\xEF\xBB\xBF" "Data_Zone,Council_area,Total_population,income_count,crime_count,SMR,Quintile\r\n"
                          "Z1,Alpha,\"1,000\",100,*,90,1\r\n"
                          "Z2,Alpha,500,50,10,#VALUE!,2\r\n"
                          "Z3,Beta,0,0,0,,5\r\n"
                          "Z4,Beta,*,5,1,100,3\r\n";

static const char LOOKUP[] = "dz11_code,ca_name,ca_code\nZ1,Alpha,C1\nZ2,Alpha,C1\nZ3,Beta,C2\nZ4,Beta,C2\n";

typedef struct fixture {
    loc_ctx *ctx;
    loc_csv *ind;
    loc_spec *spec;
    loc_lookup *lookup;
    int nwarn;
    char warn[4096];
} fixture;

static void collect(void *ud, loc_level level, const char *msg)
{
    fixture *f = ud;
    if (level != LOC_WARN)
        return;
    f->nwarn++;
    size_t len = strlen(f->warn);
    snprintf(f->warn + len, sizeof f->warn - len, "%s\n", msg);
}

static void load(fixture *f, const char *ind, const char *spec, const char *lookup)
{
    memset(f, 0, sizeof *f);
    f->ctx = loc_ctx_create(NULL);
    loc_ctx_set_report(f->ctx, collect, f);
    f->ind = loc_csv_parse(f->ctx, "ind.csv", ind, strlen(ind));
    assert_non_null(f->ind);
    f->spec = loc_spec_parse(f->ctx, "spec.csv", spec, strlen(spec));
    assert_non_null(f->spec);
    if (lookup) {
        f->lookup = loc_lookup_parse(f->ctx, "lookup.csv", lookup, strlen(lookup), NULL);
        assert_non_null(f->lookup);
    }
}

static loc_zones *join(fixture *f, const loc_join_opts *o, loc_coverage *cov)
{
    const loc_lookup *l[] = {f->lookup};
    return loc_zones_join(f->ctx, NULL, f->ind, f->spec, l, f->lookup ? 1 : 0, o, cov);
}

static void unload(fixture *f)
{
    loc_lookup_destroy(f->lookup);
    loc_spec_destroy(f->spec);
    loc_csv_destroy(f->ind);
    loc_ctx_destroy(f->ctx);
}

static void test_join_values(void **state)
{
    (void)state;
    fixture f;
    load(&f, IND, SPEC, LOOKUP);
    loc_coverage cov;
    loc_zones *z = join(&f, NULL, &cov);
    assert_non_null(z);
    assert_int_equal(loc_zones_count(z), 4);
    assert_int_equal(cov.study, 4);
    assert_int_equal(cov.joined, 4);
    assert_int_equal(cov.missing_population, 1);
    assert_int_equal(cov.zero_population, 1);
    const double *pop = loc_zones_population(z);
    assert_true(pop[0] == 1000); /* thousands separator */
    assert_true(isnan(pop[3]));  /* suppressed: missing, never zero */
    assert_int_equal(loc_zones_nindicators(z), 4);
    assert_string_equal(loc_zones_indicator(z, 1)->name, "crime");
    const double *crime = loc_zones_column(z, 1, 0);
    assert_true(isnan(crime[0]));
    /* Z3 has no residents: 0 crimes over 0 people is no rate, and is left
     * out with its denominator */
    assert_true(isnan(crime[2]));
    assert_true(isnan(loc_zones_column(z, 1, 1)[2]));
    assert_null(loc_zones_suppressed(z, 1)); /* the spec gives no range for '*' */
    assert_true(isnan(loc_zones_column(z, 2, 0)[1])); /* #VALUE! */
    assert_int_equal(loc_zones_missing(z, 0), 2);     /* Z4: population missing; Z3: no residents */
    assert_int_equal(loc_zones_missing(z, 2), 3);     /* SMR: Z2, Z3, and Z4's weight */
    /* lookup code column wins over the indicator file's names */
    assert_string_equal(loc_zones_council_source(z), "'lookup.csv' column 'ca_code'");
    assert_int_equal(loc_zones_ncouncils(z), 2);
    assert_string_equal(loc_zones_council_code(z, 1), "C2");
    assert_string_equal(loc_zones_council_name(z, 1), "Beta");
    assert_int_equal(loc_zones_councils(z)[2], 1);
    assert_int_equal(loc_zones_find(z, "Z3"), 2);
    assert_int_equal(loc_zones_find(z, "nope"), -1);
    assert_non_null(strstr(f.warn, "'ind.csv' line 3: column 'SMR' holds the spreadsheet error '#VALUE!'; treated as missing"));
    assert_non_null(strstr(f.warn, "1 zone with no population value: Z4"));
    loc_zones_destroy(z);
    unload(&f);
}

static void test_council_restriction(void **state)
{
    (void)state;
    fixture f;
    load(&f, IND, SPEC, NULL); /* councils from the indicator file's names */
    const char *pick[] = {"beta"};
    loc_join_opts o = {.councils = pick, .ncouncils = 1};
    loc_coverage cov;
    loc_zones *z = join(&f, &o, &cov);
    assert_non_null(z);
    assert_string_equal(loc_zones_council_source(z), "'ind.csv' column 'Council_area'");
    assert_int_equal(cov.study, 2);
    assert_int_equal(cov.reference, 2);
    assert_int_equal(loc_zones_nstudy(z), 2);
    assert_int_equal(loc_zones_study(z)[0], 2);
    assert_false(loc_zones_in_study(z, 0));
    loc_zones_destroy(z);
    pick[0] = "Gamma";
    assert_null(join(&f, &o, NULL));
    assert_string_equal(loc_errmsg(f.ctx), "no council area 'Gamma' in 'ind.csv' column 'Council_area' (2 councils, e.g. 'Alpha')");
    unload(&f);
}

static void expect_error(const char *ind, const char *spec, const char *lookup, const loc_join_opts *o, const char *msg)
{
    fixture f;
    load(&f, ind, spec, lookup);
    assert_null(join(&f, o, NULL));
    assert_int_equal(loc_errcode(f.ctx), LOC_EDATA);
    assert_string_equal(loc_errmsg(f.ctx), msg);
    unload(&f);
}

static void test_join_errors(void **state)
{
    (void)state;
    expect_error("Data_Zone,Council_area,Total_population,income_count,crime_count,SMR\nZ1,A,1,1,1,1\n", SPEC, NULL,
                 NULL, "'spec.csv' line 8: indicator 'q1': no column 'Quintile' in 'ind.csv'");
    expect_error("DZ,Council_area,Total_population\nZ1,A,1\n", SPEC, NULL, NULL,
                 "'spec.csv': no zone code column 'Data_Zone' in 'ind.csv'");
    expect_error("Data_Zone,Council_area,Total_population,income_count,crime_count,SMR,Quintile\n"
                 "Z1,A,100,12a,1,1,1\n",
                 SPEC, NULL, NULL, "'ind.csv' line 2: column 'income_count' is not a number: '12a'");
    expect_error("Data_Zone,Council_area,Total_population,income_count,crime_count,SMR,Quintile\n"
                 "Z1,A,100,-3,1,1,1\n",
                 SPEC, NULL, NULL, "'ind.csv' line 2: column 'income_count' is negative: '-3'");
    expect_error("Data_Zone,Council_area,Total_population,income_count,crime_count,SMR,Quintile\n"
                 "Z1,A,1e12,3,1,1,1\n",
                 SPEC, NULL, NULL, "'ind.csv' line 2: column 'Total_population' is implausibly large for one zone: '1e12'");
    expect_error("Data_Zone,Council_area,Total_population,income_count,crime_count,SMR,Quintile\n"
                 "Z1,A,1,1,1,1,1\nZ2,A,1,1,1,1,1\nZ1,A,1,1,1,1,1\n",
                 SPEC, NULL, NULL, "'ind.csv' line 4: duplicate zone code 'Z1' (first on line 2)");
    expect_error("Data_Zone,Council_area,Total_population,income_count,crime_count,SMR,Quintile\n"
                 ",A,1,1,1,1,1\n",
                 SPEC, NULL, NULL, "'ind.csv' line 2: empty zone code in column 'Data_Zone'");
    /* without boundaries every zone is a study zone, so each needs a
     * council (found by fuzz_join: one without became a study zone with
     * council -1) */
    expect_error("Data_Zone,Council_area,Total_population,income_count,crime_count,SMR,Quintile\n"
                 "Z1,A,1,1,1,1,1\nZ2,,1,1,1,1,1\n",
                 SPEC, NULL, NULL, "zone 'Z2' has no council area in 'ind.csv' column 'Council_area'");
    /* ... but with councils chosen such a zone is reference data, not an error */
    {
        static const char IND_NC[] = "Data_Zone,Council_area,Total_population,income_count,crime_count,SMR,Quintile\n"
                                     "Z1,A,100,1,1,1,1\nZ2,,100,1,1,1,1\n";
        fixture f;
        load(&f, IND_NC, SPEC, NULL);
        const char *chosen[] = {"A"};
        loc_join_opts o = {.councils = chosen, .ncouncils = 1};
        loc_coverage cov;
        loc_zones *z = join(&f, &o, &cov);
        assert_non_null(z);
        assert_int_equal(cov.study, 1);
        assert_int_equal(loc_zones_councils(z)[loc_zones_find(z, "Z2")], -1);
        assert_false(loc_zones_in_study(z, (size_t)loc_zones_find(z, "Z2")));
        loc_zones_destroy(z);
        unload(&f);
    }
    const char *nocouncil = "name,type,value\nzone,zone,Data_Zone\npop,population,Total_population\n";
    expect_error(IND, nocouncil, NULL, NULL,
                 "no council area for the zones: give a lookup with a council code column (e.g. ltla20_code), "
                 "a 'council' row in the spec 'spec.csv', or --council-field");
    loc_join_opts o = {.council_field = "LA"};
    expect_error(IND, SPEC, NULL, &o, "no council column 'LA' in the lookups, the boundaries or 'ind.csv'");
}

/* Study rows in zone-code order whatever the order of the rows. */
static void test_study_by_code(void **state)
{
    (void)state;
    static const char SHUFFLED[] = "Data_Zone,Council_area,Total_population,income_count,crime_count,SMR,Quintile\n"
                                   "Z3,Beta,0,0,0,,5\nZ1,Alpha,1000,100,1,90,1\nZ4,Beta,10,5,1,100,3\n"
                                   "Z2,Alpha,500,50,10,1,2\n";
    fixture f;
    load(&f, SHUFFLED, SPEC, LOOKUP);
    loc_zones *z = join(&f, NULL, NULL);
    assert_non_null(z);
    assert_int_equal(loc_zones_nstudy(z), 4);
    const uint32_t *by = loc_zones_study_by_code(z);
    static const char *const WANT[] = {"Z1", "Z2", "Z3", "Z4"};
    for (size_t s = 0; s < 4; s++)
        assert_string_equal(loc_zones_code(z, by[s]), WANT[s]);
    assert_string_equal(loc_zones_code(z, loc_zones_study(z)[0]), "Z3"); /* table order kept */
    const uint32_t *all = loc_zones_rows_by_code(z);
    for (size_t s = 0; s < 4; s++)
        assert_string_equal(loc_zones_code(z, all[s]), WANT[s]);
    loc_zones_destroy(z);
    unload(&f);
}

static void test_strict(void **state)
{
    (void)state;
    fixture f;
    load(&f, IND, SPEC, NULL);
    loc_join_opts o = {.strict = 1};
    assert_null(join(&f, &o, NULL));
    assert_string_equal(loc_errmsg(f.ctx), "1 zone in 'ind.csv' left out of indicator 'income': the denominator is 0 "
                                           "or below the numerator, so the count cannot be a rate: Z3");
    unload(&f);
}

/* A count that cannot be a rate (a proportion's numerator above its
 * denominator, any denominator of 0) is left out of its indicator with its
 * denominator, reported once per indicator with the zones, and refused
 * when strict; a rate's numerator may exceed its population (crimes in a
 * town-centre zone). */
static void test_numerator_above_denominator(void **state)
{
    (void)state;
    static const char ind[] = "Data_Zone,Council_area,Total_population,income_count,crime_count,SMR,Quintile\n"
                              "Z1,Alpha,1000,100,2000,90,1\n"
                              "Z2,Alpha,500,600,10,95,2\n"
                              "Z3,Beta,0,5,0,100,5\n"
                              "Z4,Beta,200,200,1,100,3\n";
    fixture f;
    load(&f, ind, SPEC, LOOKUP);
    loc_zones *z = join(&f, NULL, NULL);
    assert_non_null(z);
    assert_int_equal(f.nwarn, 2);
    assert_string_equal(f.warn, "2 zones in 'ind.csv' left out of indicator 'income': the denominator is 0 or below "
                                "the numerator, so the count cannot be a rate: Z2, Z3\n"
                                "1 zone in 'ind.csv' left out of indicator 'crime': the denominator is 0, so the count "
                                "cannot be a rate: Z3\n");
    assert_true(isnan(loc_zones_column(z, 0, 0)[1]) && isnan(loc_zones_column(z, 0, 1)[1]));
    assert_true(loc_zones_column(z, 0, 0)[3] == 200); /* equal to its denominator: a rate of 100% */
    assert_true(loc_zones_column(z, 1, 0)[0] == 2000);
    assert_int_equal(loc_zones_missing(z, 0), 2);
    loc_zones_destroy(z);
    /* outside the study area such zones are the Scotland comparator's
     * only: one summary line for them all */
    const char *alpha[] = {"Alpha"};
    loc_join_opts oa = {.councils = alpha, .ncouncils = 1};
    f.nwarn = 0;
    f.warn[0] = '\0';
    z = join(&f, &oa, NULL);
    assert_non_null(z);
    assert_int_equal(f.nwarn, 2);
    assert_non_null(strstr(f.warn, "1 zone in 'ind.csv' left out of indicator 'income': the denominator is 0 or below "
                                   "the numerator, so the count cannot be a rate: Z2\n"));
    assert_non_null(strstr(f.warn, "1 zone outside the study area in 'ind.csv' left out of 2 indicators (a denominator "
                                   "of 0 or below its numerator: no rate), for the Scotland comparator: Z3\n"));
    loc_zones_destroy(z);
    /* strict: an error naming the indicator and the zones */
    loc_join_opts o = {.strict = 1};
    assert_null(join(&f, &o, NULL));
    assert_int_equal(loc_errcode(f.ctx), LOC_EDATA);
    assert_non_null(strstr(loc_errmsg(f.ctx), "left out of indicator 'income'"));
    unload(&f);
}

/* A suppressed count ('*') with a range in the spec takes the range's
 * middle and is marked; other missing marks stay missing. */
static void test_suppressed_range(void **state)
{
    (void)state;
    static const char spec[] = "name,type,numerator,denominator,value,threshold,per,worse,suppressed\n"
                               "zone,zone,,,Data_Zone,,,,\n"
                               "pop,population,,,Total_population,,,,\n"
                               "council,council,,,Council_area,,,,\n"
                               "crime,rate,crime_count,Total_population,,,10000,higher,0..2\n";
    static const char ind[] = "Data_Zone,Council_area,Total_population,crime_count\n"
                              "Z1,Alpha,1000, * \n"
                              "Z2,Alpha,500,NA\n"
                              "Z3,Beta,700,7\n";
    fixture f;
    load(&f, ind, spec, NULL);
    loc_zones *z = join(&f, NULL, NULL);
    assert_non_null(z);
    const double *c = loc_zones_column(z, 0, 0);
    const uint8_t *sup = loc_zones_suppressed(z, 0);
    assert_non_null(sup);
    long r1 = loc_zones_find(z, "Z1"), r2 = loc_zones_find(z, "Z2"), r3 = loc_zones_find(z, "Z3");
    assert_true(c[r1] == 1 && sup[r1] == 1);
    assert_true(isnan(c[r2]) && sup[r2] == 0);
    assert_true(c[r3] == 7 && sup[r3] == 0);
    assert_int_equal(loc_zones_nsuppressed(z, 0), 1);
    loc_zones_destroy(z);
    unload(&f);
}

/* Allocation failures anywhere in reading the inputs or joining them are
 * reported as LOC_ENOMEM and leak nothing. */
static void *make_join(loc_ctx *ctx, void *arg)
{
    (void)arg;
    loc_csv *ind = loc_csv_parse(ctx, "ind.csv", IND, strlen(IND));
    loc_spec *spec = loc_spec_parse(ctx, "spec.csv", SPEC, strlen(SPEC));
    loc_lookup *lk = loc_lookup_parse(ctx, "lookup.csv", LOOKUP, strlen(LOOKUP), NULL);
    loc_zones *z = NULL;
    if (ind && spec && lk) {
        const loc_lookup *l[] = {lk};
        const char *pick[] = {"C1"};
        loc_join_opts o = {.councils = pick, .ncouncils = 1};
        z = loc_zones_join(ctx, NULL, ind, spec, l, 1, &o, NULL);
    }
    loc_lookup_destroy(lk);
    loc_spec_destroy(spec);
    loc_csv_destroy(ind);
    if (!z && loc_errcode(ctx) != LOC_ENOMEM)
        fail_msg("join failed with '%s'", loc_errmsg(ctx));
    return z;
}

static void free_join(void *z) { loc_zones_destroy(z); }

static void test_enomem_join(void **state)
{
    (void)state;
    long used = test_alloc_failures(make_join, free_join, NULL);
    assert_true(used >= 30);
}

/* Real data with boundaries: paths relative to a folder. */
static loc_zones *real_join(loc_ctx *ctx, const char *bpath, const char *ipath, const char *spath, const char *lpath,
                            const char *council, loc_coverage *cov, loc_boundaries **b, loc_csv **ind,
                            loc_spec **spec, loc_lookup **lk)
{
    *b = loc_boundaries_read(ctx, bpath, NULL);
    *ind = loc_csv_read(ctx, ipath);
    *spec = loc_spec_read(ctx, spath);
    *lk = lpath ? loc_lookup_read(ctx, lpath, NULL) : NULL;
    assert_non_null(*b);
    assert_non_null(*ind);
    assert_non_null(*spec);
    const loc_lookup *l[] = {*lk};
    const char *pick[] = {council};
    loc_join_opts o = {.councils = pick, .ncouncils = council ? 1 : 0};
    return loc_zones_join(ctx, *b, *ind, *spec, l, *lk ? 1 : 0, &o, cov);
}

static double study_population(const loc_zones *z)
{
    double total = 0;
    for (size_t s = 0; s < loc_zones_nstudy(z); s++) {
        double p = loc_zones_population(z)[loc_zones_study(z)[s]];
        if (!isnan(p))
            total += p;
    }
    return total;
}

static void free_real(loc_zones *z, loc_boundaries *b, loc_csv *ind, loc_spec *spec, loc_lookup *lk)
{
    loc_zones_destroy(z);
    loc_lookup_destroy(lk);
    loc_spec_destroy(spec);
    loc_csv_destroy(ind);
    loc_boundaries_destroy(b);
}

static void test_embedded_default(void **state)
{
    (void)state;
    loc_ctx *ctx = loc_ctx_create(NULL);
    loc_boundaries *b;
    loc_csv *ind;
    loc_spec *spec;
    loc_lookup *lk;
    loc_coverage cov;
    loc_zones *z = real_join(ctx, LOC_DATA_DIR "/stirling/dz2011_stirling.gpkg",
                             LOC_DATA_DIR "/scotland/simd2020v2_withinds.csv", LOC_DATA_DIR "/specs/simd2020v2.csv",
                             LOC_DATA_DIR "/scotland/dz2011_iz2011_council_lookup.csv", "S12000030", &cov, &b, &ind,
                             &spec, &lk);
    assert_non_null(z);
    assert_int_equal(cov.study, 121);
    assert_int_equal(cov.joined, 121);
    assert_int_equal(cov.reference, 6976 - 121);
    assert_int_equal(cov.boundary_only + cov.indicator_only, 0);
    assert_true(study_population(z) == 94000); /* data/README.md: Stirling 94,000 */
    free_real(z, b, ind, spec, lk);

    /* the Stirling-only indicator file joins the same zones */
    z = real_join(ctx, LOC_DATA_DIR "/stirling/dz2011_stirling.gpkg", LOC_DATA_DIR "/stirling/simd2020v2_stirling.csv",
                  LOC_DATA_DIR "/specs/simd2020v2.csv", LOC_DATA_DIR "/stirling/lookup_stirling.csv", NULL, &cov, &b,
                  &ind, &spec, &lk);
    assert_non_null(z);
    assert_int_equal(cov.study, 121);
    assert_int_equal(cov.reference, 0);
    assert_int_equal(loc_zones_ncouncils(z), 1);
    free_real(z, b, ind, spec, lk);
    loc_ctx_destroy(ctx);
}

static void test_scotland_2011(void **state)
{
    (void)state;
    loc_ctx *ctx = loc_ctx_create(NULL);
    loc_boundaries *b;
    loc_csv *ind;
    loc_spec *spec;
    loc_lookup *lk;
    loc_coverage cov;
    loc_zones *z = real_join(ctx, LOC_DATA_DIR "/scotland/dz2011_scotland_simplified.gpkg",
                             LOC_DATA_DIR "/scotland/simd2020v2_withinds.csv", LOC_DATA_DIR "/specs/simd2020v2.csv",
                             LOC_DATA_DIR "/scotland/dz2011_iz2011_council_lookup.csv", NULL, &cov, &b, &ind, &spec,
                             &lk);
    assert_non_null(z);
    assert_int_equal(cov.study, 6976);
    assert_int_equal(cov.joined, 6976);
    assert_int_equal(loc_zones_ncouncils(z), 32);
    assert_true(study_population(z) == 5424800); /* shared README: Total_population sums to 5,424,800 */
    assert_int_equal(cov.zero_population, 3);   /* three Glasgow zones with no residents */
    /* income: the sum of counts equals the file's national total */
    double inc = 0;
    for (size_t i = 0; i < loc_zones_count(z); i++)
        inc += isnan(loc_zones_column(z, 1, 0)[i]) ? 0 : loc_zones_column(z, 1, 0)[i];
    assert_true(inc == 654561); /* the three zones left out (no residents) have no income-deprived people */
    free_real(z, b, ind, spec, lk);
    loc_ctx_destroy(ctx);
}

static void test_shared_releases(void **state)
{
    (void)state;
    const char *dz01 = LOC_SHARED_DIR "/boundaries/dz2001_scotland_martinjc.gpkg";
    SKIP_WITHOUT_SHARED(dz01);
    loc_ctx *ctx = loc_ctx_create(NULL);
    loc_boundaries *b;
    loc_csv *ind;
    loc_spec *spec;
    loc_lookup *lk;
    loc_coverage cov;
    loc_zones *z = real_join(ctx, dz01, LOC_SHARED_DIR "/simd/simd2012_withinds.csv", LOC_DATA_DIR "/specs/simd2012.csv",
                             NULL, NULL, &cov, &b, &ind, &spec, &lk);
    assert_non_null(z);
    assert_int_equal(cov.zones, 6505);
    assert_int_equal(cov.study, 6500);
    assert_int_equal(cov.indicator_only, 5); /* five 2001 zones have no polygon (shared README) */
    free_real(z, b, ind, spec, lk);

    z = real_join(ctx, LOC_SHARED_DIR "/boundaries/dz2011_scotland_simplified.gpkg",
                  LOC_SHARED_DIR "/simd/simd2016_withinds.csv", LOC_DATA_DIR "/specs/simd2016.csv",
                  LOC_SHARED_DIR "/lookups/dz2011_iz2011_council_lookup.csv", NULL, &cov, &b, &ind, &spec, &lk);
    assert_non_null(z);
    assert_int_equal(cov.joined, 6976);
    assert_int_equal(cov.skipped_lines, 3);      /* publisher footnotes */
    assert_true(study_population(z) == 5347600); /* shared README: 2016 total population */
    free_real(z, b, ind, spec, lk);
    loc_ctx_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join_values),      cmocka_unit_test(test_council_restriction),
        cmocka_unit_test(test_join_errors),      cmocka_unit_test(test_strict),
        cmocka_unit_test(test_study_by_code),
        cmocka_unit_test(test_numerator_above_denominator),
        cmocka_unit_test(test_suppressed_range), cmocka_unit_test(test_enomem_join),
        cmocka_unit_test(test_embedded_default), cmocka_unit_test(test_scotland_2011),
        cmocka_unit_test(test_shared_releases),
    };
    return test_exit(cmocka_run_group_tests(tests, NULL, NULL));
}

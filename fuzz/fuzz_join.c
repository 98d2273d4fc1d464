/*
 * libFuzzer target for the join of an indicator file with a spec
 * (loc_csv_parse then loc_zones_join, no boundaries) and the assessment
 * of the result with each council as one locality.  The spec is fixed and
 * covers every indicator type; the input is the indicator CSV.  A joined
 * table must hold what the join promises: populations and counts that are
 * missing (NaN) or finite and not negative, and every study zone in a
 * council.  A refusal must leave a message.  The
 * assessment of an accepted table must not fail except for want of
 * memory.  Anything else (a crash, a leak, a broken promise) is a finding.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "localities/assess.h"
#include "localities/csv.h"
#include "localities/partition.h"
#include "localities/spec.h"
#include "localities/zones.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char SPEC[] = "name,type,numerator,denominator,value,threshold,per,worse,method\n"
                           "zone,zone,,,Data_Zone,,,,\n"
                           "pop,population,,,Pop,,,,\n"
                           "council,council,,,Council,,,,\n"
                           "income,proportion,inc,Pop,,,,higher,\n"
                           "crime,rate,crime,Pop,,,1000,higher,\n"
                           "q1,share,,,Quintile,1,,higher,\n"
                           "smr,ratio,,,SMR,,,higher,normal\n"
                           "drive,mean,,,Drive,,,higher,none\n";

/* The promises of a joined table. */
static void check_table(const loc_zones *z)
{
    size_t n = loc_zones_count(z);
    const double *pop = loc_zones_population(z);
    const int32_t *council = loc_zones_councils(z);
    for (size_t i = 0; i < n; i++) {
        if (!isnan(pop[i]) && !(pop[i] >= 0 && isfinite(pop[i])))
            abort();
        /* a zone may lack a council only as reference data, outside the study area */
        if (council[i] < -1 || (council[i] >= 0 && (size_t)council[i] >= loc_zones_ncouncils(z)) ||
            (council[i] < 0 && loc_zones_in_study(z, i)) || !loc_zones_code(z, i)[0])
            abort();
    }
    for (size_t k = 0; k < loc_zones_nindicators(z); k++) {
        const loc_indicator *ind = loc_zones_indicator(z, k);
        int counts = ind->type == LOC_IND_PROPORTION || ind->type == LOC_IND_RATE;
        const double *a = loc_zones_column(z, k, 0), *b = counts ? loc_zones_column(z, k, 1) : NULL;
        for (size_t i = 0; i < n; i++) {
            if (!isnan(a[i]) && !isfinite(a[i]))
                abort();
            if (counts && ((!isnan(a[i]) && a[i] < 0) || (!isnan(b[i]) && !(b[i] >= 0 && isfinite(b[i])))))
                abort();
        }
    }
}

/* Each council one locality, assessed against the rest of Scotland. */
static void assess_councils(loc_ctx *ctx, const loc_zones *z)
{
    size_t n = loc_zones_count(z), nc = loc_zones_ncouncils(z);
    int32_t *label = malloc((n ? n : 1) * sizeof *label);
    const char **codes = malloc((nc ? nc : 1) * sizeof *codes);
    size_t *members = calloc(nc ? nc : 1, sizeof *members);
    if (!label || !codes || !members)
        goto done;
    for (size_t i = 0; i < n; i++)
        if (loc_zones_in_study(z, i))
            members[loc_zones_councils(z)[i]]++;
    /* localities numbered over the councils that have zones */
    int32_t *renum = (int32_t *)members; /* reuse: counts become new numbers */
    size_t used = 0;
    for (size_t c = 0; c < nc; c++) {
        if (members[c]) {
            codes[used] = loc_zones_council_code(z, c);
            renum[c] = (int32_t)used++;
        } else {
            renum[c] = -1;
        }
    }
    for (size_t i = 0; i < n; i++)
        label[i] = loc_zones_in_study(z, i) ? renum[loc_zones_councils(z)[i]] : -1;
    loc_partition *p = loc_partition_create(ctx, z, label, used, codes, NULL);
    if (!p && loc_errcode(ctx) != LOC_ENOMEM)
        abort(); /* the labels above are valid by construction */
    if (p) {
        loc_assess *a = loc_assess_run(ctx, z, p, NULL, NULL, NULL);
        if (!a && loc_errcode(ctx) != LOC_ENOMEM)
            abort();
        loc_assess_destroy(a);
        loc_partition_destroy(p);
    }
done:
    free(label);
    free(codes);
    free(members);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    loc_ctx *ctx = loc_ctx_create(NULL);
    if (!ctx)
        return 0;
    loc_spec *spec = loc_spec_parse(ctx, "spec.csv", SPEC, strlen(SPEC));
    if (!spec)
        abort();
    loc_csv *csv = loc_csv_parse(ctx, "fuzz.csv", data, size);
    if (csv) {
        loc_join_opts o = {0};
        loc_zones *z = loc_zones_join(ctx, NULL, csv, spec, NULL, 0, &o, NULL);
        if (!z) {
            if (loc_errcode(ctx) == LOC_OK || !loc_errmsg(ctx)[0])
                abort();
        } else {
            check_table(z);
            assess_councils(ctx, z);
            loc_zones_destroy(z);
        }
        loc_csv_destroy(csv);
    } else if (loc_errcode(ctx) == LOC_OK || !loc_errmsg(ctx)[0]) {
        abort();
    }
    loc_spec_destroy(spec);
    loc_ctx_destroy(ctx);
    return 0;
}

/*
 * `localities info`: what the inputs hold.  The first command a user runs
 * on new data, so it says plainly what was loaded, what was repaired and
 * what could not be matched, with counts an analyst can check against the
 * publisher's own figures (zones, total population).
 */
#include "cli.h"

#include <math.h>
#include <string.h>

/* Totals over the study zones for one indicator column pair. */
static void study_totals(const loc_zones *z, size_t k, double *a, double *b, double *wa)
{
    const double *ca = loc_zones_column(z, k, 0), *cb = loc_zones_column(z, k, 1);
    const uint32_t *rows = loc_zones_study(z);
    *a = *b = *wa = 0;
    for (size_t s = 0; s < loc_zones_nstudy(z); s++) {
        double x = ca[rows[s]], w = cb[rows[s]];
        if (isnan(x) || isnan(w))
            continue;
        *a += x;
        *b += w;
        *wa += x * w;
    }
}

static void print_indicator(const loc_zones *z, size_t k)
{
    const loc_indicator *ind = loc_zones_indicator(z, k);
    double a, b, wa;
    char na[32], nb[32];
    study_totals(z, k, &a, &b, &wa);
    printf("  %-22s %-10s missing %-5zu ", ind->name, loc_ind_type_name(ind->type), loc_zones_missing(z, k));
    switch (ind->type) {
    case LOC_IND_PROPORTION:
        printf("%s / %s = %.2f%%", cli_count(na, sizeof na, a), cli_count(nb, sizeof nb, b), b > 0 ? 100 * a / b : 0);
        break;
    case LOC_IND_RATE:
        printf("%s per %s = %.1f per %g", cli_count(na, sizeof na, a), cli_count(nb, sizeof nb, b),
               b > 0 ? ind->per * a / b : 0, ind->per);
        break;
    case LOC_IND_SHARE: {
        const double *ca = loc_zones_column(z, k, 0), *cb = loc_zones_column(z, k, 1);
        double in = 0, all = 0;
        for (size_t s = 0; s < loc_zones_nstudy(z); s++) {
            uint32_t i = loc_zones_study(z)[s];
            if (isnan(ca[i]) || isnan(cb[i]))
                continue;
            all += cb[i];
            if (ca[i] <= ind->threshold)
                in += cb[i];
        }
        printf("%.2f%% of residents in zones with value <= %g", all > 0 ? 100 * in / all : 0, ind->threshold);
        break;
    }
    default:
        printf("weighted mean %.3f", b > 0 ? wa / b : 0);
    }
    /* suppressed counts in the study area, taken at the middle of the
     * spec's range */
    const uint8_t *sup = loc_zones_suppressed(z, k);
    size_t ns = 0;
    for (size_t s = 0; sup && s < loc_zones_nstudy(z); s++)
        ns += sup[loc_zones_study(z)[s]];
    if (ns)
        printf(" (%zu suppressed counts taken as %g, the middle of %g..%g)", ns,
               (ind->supp_low + ind->supp_high) / 2, ind->supp_low, ind->supp_high);
    printf("   %s\n", ind->label);
}

static void print_councils(const loc_zones *z)
{
    size_t nc = loc_zones_ncouncils(z);
    const int32_t *council = loc_zones_councils(z);
    const double *pop = loc_zones_population(z);
    printf("\ncouncil areas in the study area (from %s):\n", loc_zones_council_source(z));
    for (size_t c = 0; c < nc; c++) {
        size_t zones = 0;
        double people = 0;
        for (size_t s = 0; s < loc_zones_nstudy(z); s++) {
            uint32_t i = loc_zones_study(z)[s];
            if (council[i] == (int32_t)c) {
                zones++;
                if (!isnan(pop[i]))
                    people += pop[i];
            }
        }
        if (!zones)
            continue;
        char np[32];
        printf("  %-10s %-28s %5zu zones  %10s people\n", loc_zones_council_code(z, c), loc_zones_council_name(z, c),
               zones, cli_count(np, sizeof np, people));
    }
}

/* Councils with at least one study zone. */
static size_t study_councils(const loc_zones *z)
{
    size_t nc = loc_zones_ncouncils(z), k = 0;
    const int32_t *council = loc_zones_councils(z);
    for (size_t c = 0; c < nc; c++)
        for (size_t s = 0; s < loc_zones_nstudy(z); s++)
            if (council[loc_zones_study(z)[s]] == (int32_t)c) {
                k++;
                break;
            }
    return k;
}

static void print_summary(const cli_args *a, const loc_inputs *in)
{
    const loc_boundaries *b = in->boundaries;
    const loc_zones *z = in->zones;
    const loc_coverage *cv = &in->coverage;
    double bb[4];
    char n1[32], n2[32];
    loc_boundaries_bbox(b, bb);
    printf("boundaries   %s (layer '%s', zone field '%s')\n", loc_boundaries_path(b), loc_boundaries_layer(b),
           loc_boundaries_zone_field(b));
    printf("  zones      %s kept, %zu repaired, %zu excluded, %s vertices\n",
           cli_count(n1, sizeof n1, (double)loc_boundaries_count(b)), loc_boundaries_repaired(b),
           loc_boundaries_excluded(b), cli_count(n2, sizeof n2, (double)loc_boundaries_vertices(b)));
    for (size_t i = 0; i < loc_boundaries_excluded(b); i++)
        printf("  excluded   %s: %s\n", loc_boundaries_excluded_code(b, i)[0] ? loc_boundaries_excluded_code(b, i) : "(no code)",
               loc_boundaries_excluded_reason(b, i));
    printf("  crs        %s%s\n", loc_boundaries_crs(b), loc_boundaries_reprojected(b) ? ", reprojected to EPSG:27700" : "");
    printf("  bbox       %.0f %.0f %.0f %.0f (EPSG:27700, metres)\n", bb[0], bb[1], bb[2], bb[3]);
    printf("indicators   %s (%s rows, %zu footnote or blank lines skipped)\n", loc_csv_name(in->indicators),
           cli_count(n1, sizeof n1, (double)loc_csv_nrows(in->indicators)), loc_csv_skipped(in->indicators));
    printf("spec         %s (%zu indicators)\n", loc_spec_name(in->spec), loc_spec_count(in->spec));
    for (size_t i = 0; i < in->nlookups; i++)
        printf("lookup       %s (%s zones, zone column '%s', %zu columns)\n", loc_lookup_path(in->lookups[i]),
               cli_count(n1, sizeof n1, (double)loc_lookup_nzones(in->lookups[i])),
               loc_lookup_zone_column(in->lookups[i]), loc_lookup_ncols(in->lookups[i]));
    if (a->ncouncils) {
        printf("study area  ");
        for (size_t i = 0; i < a->ncouncils; i++)
            printf(" %s", a->councils[i]);
        printf("%s\n", a->defaults ? " (embedded default)" : "");
    }
    double people = 0;
    const double *pop = loc_zones_population(z);
    for (size_t s = 0; s < loc_zones_nstudy(z); s++)
        if (!isnan(pop[loc_zones_study(z)[s]]))
            people += pop[loc_zones_study(z)[s]];
    printf("\nzones        %s in the study area, %s joined", cli_count(n1, sizeof n1, (double)cv->study),
           cli_count(n2, sizeof n2, (double)cv->joined));
    printf("%s\n", cv->joined == cv->study && !cv->indicator_only ? " (all)" : "");
    printf("  unmatched  %zu with a boundary but no indicators, %zu with indicators but no boundary\n",
           cv->boundary_only, cv->indicator_only);
    if (cv->reference)
        printf("  reference  %s zones outside the study area (Scotland comparator only)\n",
               cli_count(n1, sizeof n1, (double)cv->reference));
    printf("population   %s in the study area (%zu zones missing a value, %zu with none)\n",
           cli_count(n1, sizeof n1, people), cv->missing_population, cv->zero_population);
    printf("councils     %zu in the study area\n", study_councils(z));
    printf("\nindicators (totals over the study area):\n");
    for (size_t k = 0; k < loc_zones_nindicators(z); k++)
        print_indicator(z, k);
    print_councils(z);
}

int cmd_info(loc_ctx *ctx, cli_args *a)
{
    if (a->npositional)
        return cli_usage_error("info", "unexpected argument '%s'", a->positional[0]);
    int rc = cli_apply_defaults(a);
    if (rc)
        return rc;
    loc_inputs in;
    rc = cli_load(ctx, a, &in);
    if (!rc)
        print_summary(a, &in);
    loc_inputs_free(&in);
    return rc;
}

/*
 * The summaries the commands print: the build's (localities, sizes per
 * council, quality, what could not hold), the assessment's (the rule, the
 * counts, the localities that need a plan, overdispersion), and the
 * one-line notes on feasibility and codes kept that several commands
 * share.  Numbers only, read from the engine's results.
 */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void cli_print_feasibility(FILE *f, const loc_problem *b)
{
    size_t councils = 0, ceiling = 0, low_councils = 0, low_parts = 0, in_councils = 0;
    for (size_t r = 0; r < b->nfeasibility; r++) {
        const loc_feasibility *x = &b->feasibility[r];
        if (x->component == 0) {
            councils++;
            ceiling += !x->ceiling_holds;
            low_councils += !x->floor_holds;
            int any = 0;
            for (size_t q = r + 1; q < b->nfeasibility && b->feasibility[q].component; q++)
                any |= !b->feasibility[q].floor_holds;
            in_councils += any;
        } else {
            low_parts += !x->floor_holds;
        }
    }
    if (!b->feasibility || (!ceiling && !low_councils && !low_parts))
        return;
    fprintf(f, "  bounds     %zu of %zu councils with a zone or hard group above the ceiling, %zu below the floor; "
               "%zu parts cut off by water below the floor, in %zu councils (feasibility.csv)\n",
            ceiling, councils, low_councils, low_parts, in_councils);
}

void cli_print_codes_kept(FILE *f, const char *codes_from, const loc_problem *b)
{
    if (!codes_from)
        return;
    size_t nl = loc_partition_count(b->partition);
    fprintf(f, "  codes      %zu of %zu kept from '%s' (%.0f%% or more of residents shared), %zu new\n", b->codes_kept,
            nl, codes_from, 100 * LOC_KEEP_CODE_OVERLAP, nl - b->codes_kept);
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* A grouping's label with the folder left out: "file.csv:column". */
static const char *short_label(const char *label)
{
    const char *colon = strrchr(label, ':'), *slash = NULL;
    for (const char *q = label; *q && q < colon; q++)
        if (*q == '/')
            slash = q;
    return slash ? slash + 1 : label;
}

static void print_quality(const loc_inputs *in, const loc_problem *b)
{
    const loc_build_stats *s = loc_build_stats_get(b->result);
    const int32_t *lab = loc_build_labels(b->result);
    size_t nl = loc_build_count(b->result);
    printf("quality      R^2 of zone rates explained by locality means:");
    size_t which[2];
    const char *names[2];
    int nn = (int)loc_zones_indicators_with_role(in->zones, LOC_ROLE_BUILD, which, 2);
    for (int k = 0; k < nn; k++)
        names[k] = loc_zones_indicator(in->zones, which[k])->name;
    for (int k = 0; k < nn; k++) {
        double r2 = loc_problem_r2(b, in->zones, which[k], lab, nl);
        if (!isnan(r2))
            printf(" %s %.3f", names[k], r2);
    }
    printf("\n");
    if (b->ngroupings && b->kind[0] == LOC_RESPECT_SOFT) {
        /* the first soft grouping as localities, for comparison */
        const int32_t *m = b->member[0];
        size_t ng = b->groupings[0]->ngroups, present = 0;
        uint8_t *seen = calloc(ng ? ng : 1, 1);
        for (size_t i = 0; seen && i < b->n; i++)
            if (m[i] >= 0 && !seen[m[i]]) {
                seen[m[i]] = 1;
                present++;
            }
        free(seen);
        printf("  baseline   '%s' as localities (%zu):", short_label(b->groupings[0]->label), present);
        for (int k = 0; k < nn; k++) {
            double r2 = loc_problem_r2(b, in->zones, which[k], m, ng);
            if (!isnan(r2))
                printf(" %s %.3f", names[k], r2);
        }
        printf("\n");
    }
    for (size_t k = 0; k < b->ngroupings; k++) {
        size_t whole, total;
        loc_problem_kept_whole(b, k, -1, &whole, &total);
        printf("  kept whole %zu of %zu groups of '%s' (%.1f%%, %s)%s\n", whole, total, short_label(b->groupings[k]->label),
               total ? 100.0 * (double)whole / (double)total : 100.0, loc_respect_name(b->kind[k]),
               b->default_respect ? " [default: intermediate zones]" : "");
        if (b->kind[k] == LOC_RESPECT_NEST)
            printf("  nested     %zu of %zu localities within one group of '%s'\n", loc_problem_nested(b, k), nl,
                   short_label(b->groupings[k]->label));
    }
    printf("  objective  %.4f after construction, %.4f after greedy descent, %.4f final (%s)\n",
           s->objective_construct, s->objective_greedy, s->objective,
           s->best_start < 0 ? "no annealing start improved on the descent" : "an annealing start won");
    printf("  search     %llu moves costed, %llu made, %llu needed a contiguity search; "
           "construct %.3f s, descent %.3f s, annealing %.3f s\n",
           (unsigned long long)s->moves_evaluated, (unsigned long long)s->moves_made,
           (unsigned long long)s->contiguity_searches, s->t_construct_s, s->t_greedy_s, s->t_anneal_s);
}

void cli_print_build(const cli_args *a, const loc_inputs *in, const loc_problem *b, const char *path)
{
    const loc_zones *z = in->zones;
    const loc_partition *p = b->partition;
    const loc_build_stats *s = loc_build_stats_get(b->result);
    size_t nl = loc_partition_count(p);
    char n1[32];
    double total = 0;
    for (size_t l = 0; l < nl; l++)
        total += loc_partition_population(p, l);
    printf("localities   %zu from %zu zones (%s residents), population ceiling %.0f, floor %.0f\n", nl, b->n,
           cli_count(n1, sizeof n1, total), b->opts.max_pop, b->opts.min_pop);
    if (b->opts.target_pop > 0)
        printf("  target     %.0f residents a locality (bounds 0.7 to 1.3 times it, within the ceiling and floor)\n",
               b->opts.target_pop);
    if (b->area_count)
        printf("  target     localities per council from '%s' (bounds 0.7 to 1.3 times its residents over the count, "
               "within the ceiling and floor)\n", a->per_council);
    if (b->opts.localities_per_council > 0)
        printf("  target     about %zu localities a council (bounds 0.7 to 1.3 times its residents over %zu, within "
               "the ceiling and floor)\n", b->opts.localities_per_council, b->opts.localities_per_council);
    printf("  features   %s (heterogeneity), weights: heterogeneity %g, compactness %g, soft splits %g; seed %llu, "
           "%d start%s\n",
           b->nfeat ? b->feat_names : "none", b->opts.w_het, b->opts.w_compact, b->opts.w_soft,
           (unsigned long long)b->opts.seed, b->opts.starts, b->opts.starts == 1 ? "" : "s");
    if (s->over_ceiling) {
        printf("  reported   %zu localit%s above the ceiling (a single zone or hard group each)\n", s->over_ceiling,
               s->over_ceiling == 1 ? "y" : "ies");
        /* most localities over the ceiling: the hard groups are too big */
        for (size_t k = 0; 4 * s->over_ceiling >= nl && k < b->ngroupings; k++)
            if (b->kind[k] == LOC_RESPECT_HARD) {
                printf("  hint       a grouping larger than a locality (wards, say) is better respected as "
                       "':nest': localities inside each group\n");
                break;
            }
    }
    if (s->under_floor)
        printf("  reported   %zu localit%s below the floor (no merge fitted under the ceiling)\n", s->under_floor,
               s->under_floor == 1 ? "y" : "ies");
    if (b->no_boundary)
        printf("  reported   %zu study zone%s without a boundary, in no locality\n", b->no_boundary,
               b->no_boundary == 1 ? "" : "s");
    cli_print_codes_kept(stdout, a->codes_from, b);
    cli_print_feasibility(stdout, b);
    print_quality(in, b);

    double *pops = malloc((nl ? nl : 1) * sizeof *pops);
    if (!pops)
        return;
    printf("\n%-10s %-26s %5s %8s %8s %8s %8s %8s %6s %6s %s\n", "council", "name", "local", "pop min", "quarter",
           "median", "3 qtrs", "max", "PP", "island", "kept whole");
    for (size_t c = 0; c < loc_zones_ncouncils(z); c++) {
        size_t k = 0;
        for (size_t l = 0; l < nl; l++)
            if (loc_partition_council(p, l) == (int32_t)c)
                pops[k++] = loc_partition_population(p, l);
        if (!k)
            continue;
        qsort(pops, k, sizeof *pops, cmp_double);
        double median = k % 2 ? pops[k / 2] : 0.5 * (pops[k / 2 - 1] + pops[k / 2]);
        /* the size distribution: quartiles by the nearest rank */
        double q1 = pops[(k + 3) / 4 - 1], q3 = pops[(3 * k + 3) / 4 - 1];
        char whole[64] = "-";
        size_t first = 0; /* the first grouping that can be kept whole or split */
        while (first < b->ngroupings && b->kind[first] == LOC_RESPECT_NEST)
            first++;
        if (first < b->ngroupings) {
            size_t w, t;
            loc_problem_kept_whole(b, first, (int32_t)c, &w, &t);
            snprintf(whole, sizeof whole, "%zu/%zu", w, t);
        }
        printf("%-10s %-26s %5zu %8.0f %8.0f %8.0f %8.0f %8.0f %6.3f %6zu %s\n", loc_zones_council_code(z, c),
               loc_zones_council_name(z, c), k, pops[0], q1, median, q3, pops[k - 1],
               loc_problem_compactness(b, (int32_t)c), loc_problem_islands(b, (int32_t)c), whole);
    }
    free(pops);
    printf("\nwrote        %s\n", path);
}

/* Spiegelhalter's phi per tested indicator against Scotland, on one line
 * (the rest is in overdispersion.csv). */
static void print_dispersion(FILE *f, const loc_zones *z, const loc_assess *as)
{
    static const char *const how[] = {"none (counts as independent draws)", "multiplicative phi",
                                      "additive tau^2", "the zones' spread inside localities (design effect)"};
    fprintf(f, "  overdispersion  allowance: %s; phi against Scotland:", how[loc_assess_options(as)->od]);
    size_t shown = 0, n = 0;
    for (size_t j = 0; j < loc_zones_nindicators(z); j++) {
        if (!loc_assess_tested(as, j))
            continue;
        n++;
        if (shown >= 6)
            continue;
        const loc_assess_disp *d = loc_assess_dispersion(as, j, LOC_CMP_SCOTLAND);
        fprintf(f, "%s %s %.3g", shown ? "," : "", loc_zones_indicator(z, j)->name, d->phi);
        shown++;
    }
    if (n > shown)
        fprintf(f, " and %zu more", n - shown);
    fprintf(f, " (overdispersion.csv)\n");
}

void cli_print_assessment(FILE *f, const loc_inputs *in, const loc_partition *p, const loc_assess *as)
{
    const loc_zones *z = in->zones;
    size_t nl = loc_partition_count(p), over = 0, cross = 0, discont = 0, checked = 0;
    for (size_t k = 0; k < nl; k++) {
        over += loc_assess_over_ceiling(as, k);
        cross += loc_assess_crosses_council(as, k);
        discont += loc_assess_discontiguous(as, k) == 1;
        checked += loc_assess_discontiguous(as, k) >= 0;
    }
    fprintf(f, "assessment   %zu localities x %zu indicators x 2 comparators: %zu tests\n", nl,
            loc_zones_nindicators(z), loc_assess_ntests(as));
    fprintf(f, "  rule       %s\n", loc_assess_rule(as));
    fprintf(f, "  plans      %zu of %zu localities qualify\n", loc_assess_nqualifying(as), nl);
    print_dispersion(f, z, as);
    fprintf(f, "  guidance   %zu over %.0f residents, %zu crossing a council boundary, ", over,
            loc_assess_options(as)->max_pop, cross);
    if (checked)
        fprintf(f, "%zu not contiguous\n", discont);
    else
        fprintf(f, "contiguity not checked (no boundaries)\n");
    /* the qualifying localities, most poorer indicators first, at most 40 */
    size_t shown = 0;
    for (size_t want = loc_zones_nindicators(z) * 2 + 1; want-- > 0 && shown < 40;)
        for (size_t k = 0; k < nl && shown < 40; k++) {
            size_t pc = loc_assess_poorer(as, k, LOC_CMP_COUNCIL_REST), ps = loc_assess_poorer(as, k, LOC_CMP_SCOTLAND);
            if (!loc_assess_qualifies(as, k) || pc + ps != want)
                continue;
            if (!shown)
                fprintf(f, "\n%-16s %-34s %9s %7s %7s  %s\n", "locality", "name", "residents", "poorer", "poorer",
                        "guidance");
            if (!shown)
                fprintf(f, "%-16s %-34s %9s %7s %7s\n", "", "", "", "council", "Scotland");
            shown++;
            char g[96] = "";
            if (loc_assess_over_ceiling(as, k))
                strcat(g, "over ceiling; ");
            if (loc_assess_discontiguous(as, k) == 1)
                strcat(g, "not contiguous; ");
            if (loc_assess_crosses_council(as, k))
                strcat(g, "crosses councils; ");
            size_t gl = strlen(g);
            if (gl >= 2)
                g[gl - 2] = 0; /* no separator after the last check */
            fprintf(f, "%-16s %-34s %9.0f %7zu %7zu  %s\n", loc_partition_code(p, k), loc_partition_name(p, k),
                    loc_partition_population(p, k), pc, ps, g);
            fprintf(f, "%-16s why: %s\n", "", loc_assess_reason(as, k));
        }
    if (loc_assess_nqualifying(as) > shown)
        fprintf(f, "... and %zu more in localities.csv\n", loc_assess_nqualifying(as) - shown);
}


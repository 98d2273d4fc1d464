/*
 * Hold mode of `localities batch`: a CPP's held localities carried onto
 * each release's zones (through its zone map or by area), assessed and
 * written as `run` writes, each release's results kept in memory as it
 * finishes (compare.h), then compared across the releases in
 * comparison.csv with the rule each release was judged by.
 */
#include "batch.h"

#include <stdlib.h>
#include <string.h>

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* carried.csv as an extra file of the run's output set. */
typedef struct carried_out {
    const loc_partition *p;
    const uint8_t *how;
} carried_out;

static loc_status write_carried(loc_ctx *ctx, void *ud, loc_outset *st)
{
    const carried_out *c = ud;
    return loc_partition_write_carried_csv(ctx, c->p, c->how, loc_outset_path(st, "carried.csv"));
}

/* Hold mode: the held localities carried onto this release's zones (through
 * its zone map when the geographies differ), assessed, and written. */
int batch_hold_run(loc_ctx *ctx, batch_run *run, const char *hold, loc_carry_rule rule, FILE *summary)
{
    cli_args *a = &run->args;
    loc_inputs in;
    loc_problem b;
    loc_outset st;
    loc_assess_opts ao;
    loc_csv *held = NULL, *map = NULL;
    loc_boundaries *held_b = NULL;
    loc_partition *p = NULL;
    loc_assess *as = NULL;
    uint8_t *how = NULL;
    int rc;
    memset(&b, 0, sizeof b);
    memset(&st, 0, sizeof st);
    memset(&in, 0, sizeof in);
    if ((rc = cli_assess_opts(a, &ao)))
        return rc;
    if ((rc = cli_load(ctx, a, &in)))
        goto done;
    /* both boundary sets given: carry by area overlay, not by the
     * unweighted zone pairs of zone_map */
    int by_area = run->map_boundaries[0] != 0;
    loc_boundary_opts hbo = {.assume_crs = a->crs};
    if (!(held = loc_csv_read(ctx, hold)) ||
        (by_area && !(held_b = loc_boundaries_read(ctx, run->map_boundaries, &hbo))) ||
        (!by_area && run->zone_map[0] && !(map = loc_csv_read(ctx, run->zone_map)))) {
        rc = cli_fail(ctx);
        goto done;
    }
    const char *from = run->map_from[0] ? run->map_from : map ? loc_csv_header(map, 0) : NULL;
    const char *to = run->map_to[0] ? run->map_to : map && loc_csv_ncols(map) > 1 ? loc_csv_header(map, 1) : NULL;
    if (!(how = malloc(loc_zones_count(in.zones) + 1))) {
        cli_error("out of memory");
        rc = CLI_EXIT_DATA;
        goto done;
    }
    if (!(p = by_area ? loc_partition_carry_overlay(ctx, in.zones, in.boundaries, held, held_b, &run->map_opts, rule,
                                                    &run->carried, how)
                      : loc_partition_carry(ctx, in.zones, held, map, from, to, rule, &run->carried, how))) {
        rc = cli_fail(ctx);
        goto done;
    }
    if ((rc = cli_graph_only(ctx, a, &in, &b)))
        goto done;
    if (!(as = loc_assess_run(ctx, in.zones, p, &ao, b.graph, b.rows))) {
        rc = cli_fail(ctx);
        goto done;
    }
    /* the rule this release used, so that the comparison can say whether
     * the releases were judged alike */
    run->plan_domains = ao.plan_min_domains;
    run->domains[0] = 0;
    size_t nd = loc_assess_ndomains(as);
    const char *dn[64];
    for (size_t d = 0; d < nd && d < 64; d++)
        dn[d] = loc_assess_domain(as, d);
    if (nd > 64)
        nd = 64;
    qsort(dn, nd, sizeof *dn, cmp_str); /* in name order, so that releases compare as sets */
    for (size_t d = 0; d < nd; d++) {
        size_t len = strlen(run->domains);
        snprintf(run->domains + len, sizeof run->domains - len, "%s%s", d ? ", " : "", dn[d]);
    }
    /* what the comparison across releases needs, kept in memory */
    if (!(run->release = loc_release_create(ctx, run->name, p, as, how, run->key, run->nkey))) {
        rc = cli_fail(ctx);
        goto done;
    }
    /* every file run writes (the report with its maps, funnels and
     * profiles included), and carried.csv: how each zone was placed */
    carried_out co = {p, how};
    cli_extra_writer extra = {write_carried, &co, NULL};
    cli_progress pr;
    cli_progress_init(&pr, a, 2);
    if ((rc = cli_write_outputs(ctx, a, &in, &b, p, as, run->out, &pr, &st, &extra)))
        goto done;
    cli_progress_done(&pr);
    const loc_carry_stats *cs = &run->carried;
    fprintf(summary, "held         %zu localities from '%s'%s%s%s\n", loc_partition_count(p), hold,
            by_area ? " by area over " : map ? " through " : "",
            by_area ? run->map_boundaries : map ? run->zone_map : "",
            by_area ? " (zone_map_boundaries)" : "");
    if (by_area) {
        char sl[64] = "";
        if (run->map_opts.sliver_m > 0)
            snprintf(sl, sizeof sl, ", or the rest a sliver at most %g m wide", run->map_opts.sliver_m);
        const char *what = run->map_opts.by_residents ? "residents" : "area";
        fprintf(summary, "  placed     %zu zones (%.0f residents) exactly (at least 99%% of the %s in one held "
                "locality%s), %zu (%.0f) by most %s, %zu (%.0f) not placed; see carried.csv\n",
                cs->exact, cs->exact_pop, what, sl, cs->most, cs->most_pop, what, cs->unplaced, cs->unplaced_pop);
    } else {
        fprintf(summary, "  placed     %zu zones (%.0f residents) exactly, %zu (%.0f) by most residents of their "
                "mapped zones, %zu (%.0f) not placed; see carried.csv\n",
                cs->exact, cs->exact_pop, cs->most, cs->most_pop, cs->unplaced, cs->unplaced_pop);
    }
    cli_print_assessment(summary, &in, p, as);
done:
    if (rc) {
        loc_outset_abort(&st);
        loc_release_destroy(run->release);
        run->release = NULL;
    }
    loc_assess_destroy(as);
    loc_partition_destroy(p);
    loc_csv_destroy(held);
    loc_csv_destroy(map);
    loc_boundaries_destroy(held_b);
    free(how);
    loc_problem_free(&b);
    loc_inputs_free(&in);
    return rc;
}

/* The key indicators (the spec's role `key`, at most NKEY) of the first
 * release whose spec reads: comparison.csv's indicator columns, fixed
 * before any run starts so that each run keeps them as it finishes.  The
 * names are the spec's, which bt->kspec holds. */
void batch_key_indicators(loc_ctx *ctx, batch *bt)
{
    for (size_t k = 0; k < bt->nruns && !bt->kspec; k++)
        bt->kspec = loc_spec_read(ctx, bt->runs[k].spec); /* one that cannot be read fails its own run */
    loc_clear_error(ctx);
    if (!bt->kspec)
        return;
    size_t n = loc_spec_count(bt->kspec), idx[NKEY];
    const loc_indicator **inds = malloc((n ? n : 1) * sizeof *inds);
    if (!inds)
        return;
    for (size_t i = 0; i < n; i++)
        inds[i] = loc_spec_indicator(bt->kspec, i);
    bt->nkey = loc_indicators_with_role(inds, n, LOC_ROLE_KEY, idx, NKEY);
    for (size_t q = 0; q < bt->nkey; q++)
        bt->key[q] = inds[idx[q]]->name;
    free(inds);
}

/* How a held run placed the zones not placed exactly, for the summary:
 * by the zone map's residents, or by area or residents of the overlay. */
static const char *carry_rule(const batch_run *run)
{
    if (!run->map_boundaries[0])
        return "most residents of their mapped zones";
    return run->map_opts.by_residents ? "most residents (zone_map_boundaries)" : "most area (zone_map_boundaries)";
}

/* comparison.csv from the releases kept in memory, and its summary. */
int batch_write_comparison(loc_ctx *ctx, const batch *bt, const char *out_root)
{
    const loc_release *rel[MAX_RUNS];
    size_t n = 0;
    for (size_t k = 0; k < bt->nruns; k++)
        if (!bt->runs[k].rc && bt->runs[k].release)
            rel[n++] = bt->runs[k].release;
    char path[4200];
    snprintf(path, sizeof path, "%s/comparison.csv", out_root);
    loc_compare_summary sum;
    if (loc_compare_write_csv(ctx, rel, n, bt->key, bt->nkey, path, &sum))
        return cli_fail(ctx);
    printf("\ncomparison   %zu held localities over the releases that ran: %zu persistently qualify for a plan, "
           "%zu changed, %zu never\n",
           sum.localities, sum.count[LOC_COURSE_PERSISTENT], sum.count[LOC_COURSE_CHANGED],
           sum.count[LOC_COURSE_NEVER]);
    if (sum.names[LOC_COURSE_PERSISTENT][0])
        printf("  persistent %s\n", sum.names[LOC_COURSE_PERSISTENT]);
    if (sum.names[LOC_COURSE_CHANGED][0])
        printf("  changed    %s\n", sum.names[LOC_COURSE_CHANGED]);
    for (size_t k = 0; k < bt->nruns; k++) {
        const loc_carry_stats *cs = &bt->runs[k].carried;
        if (!bt->runs[k].rc && (cs->most || cs->unplaced))
            printf("  %-10s %zu zone%s (%.0f residents) placed by %s, %zu (%.0f) not placed\n", bt->runs[k].name,
                   cs->most, cs->most == 1 ? "" : "s", cs->most_pop, carry_rule(&bt->runs[k]), cs->unplaced,
                   cs->unplaced_pop);
    }
    /* the rule of each release: the comparison means the same across them
     * only when each judged the same domains with the same threshold */
    const char *first = NULL;
    size_t first_k = 0;
    int same = 1;
    for (size_t k = 0; k < bt->nruns; k++) {
        if (bt->runs[k].rc)
            continue;
        printf("  rule       %s: a plan at %zu or more of the domains %s, or on the deprivation share\n",
               bt->runs[k].name, bt->runs[k].plan_domains, bt->runs[k].domains);
        if (!first) {
            first = bt->runs[k].domains;
            first_k = k;
        } else if (strcmp(first, bt->runs[k].domains) != 0 || bt->runs[k].plan_domains != bt->runs[first_k].plan_domains) {
            same = 0;
        }
    }
    printf("  %s\n", same ? "every release was judged on the same domains with the same threshold"
                         : "the releases were judged on different domains or thresholds: compare their plan flags "
                           "with care");
    printf("wrote        %s\n", path);
    return CLI_EXIT_OK;
}


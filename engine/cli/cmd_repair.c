/*
 * `localities build --from FILE`: start from the localities a CPP already
 * has and change only what the guidance requires (engine/repair.c), then
 * check the result against the same guidance `assess` checks.  Writes
 * zones.csv (the repaired localities) and repair.csv (the zones whose
 * locality changed) through a staging folder, both or neither.  Given
 * localities on other zones (--from-boundaries) are first carried onto
 * these zones by area (engine/overlay.c).
 */
#include "cli.h"

#include "localities/overlay.h"
#include "localities/repair.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_OUT "localities-out"

int cmd_build_from(loc_ctx *ctx, cli_args *a)
{
    double max_pop = 10000;
    int rc;
    if (a->max_pop && (rc = cli_number("build", "max-pop", a->max_pop, 1, 1e9, &max_pop)))
        return rc;
    if ((rc = cli_apply_defaults(a)))
        return rc;
    loc_inputs in;
    loc_problem b;
    loc_outset st;
    memset(&in, 0, sizeof in);
    memset(&b, 0, sizeof b);
    memset(&st, 0, sizeof st);
    loc_lookup *lk = NULL;
    loc_boundaries *polys = NULL;
    loc_partition *given = NULL, *p = NULL;
    loc_assess *as = NULL;
    if (a->from_boundaries && cli_looks_like_polygons(a->from))
        return cli_usage_error("build", "--from-boundaries needs --from to be a zone -> locality CSV (a zones.csv)");
    int polygons = cli_looks_like_polygons(a->from);
    loc_csv *held = NULL;
    loc_boundaries *held_b = NULL;
    loc_carry_stats cs;
    /* the given localities first: a wrong file is reported before the
     * slow loading */
    if (polygons) {
        if (!(polys = cli_read_locality_polygons(ctx, a, a->from))) {
            rc = cli_fail(ctx);
            goto done;
        }
    } else if (a->from_boundaries) {
        if (!(held = loc_csv_read(ctx, a->from)) ||
            !(held_b = loc_boundaries_read(ctx, a->from_boundaries, &(loc_boundary_opts){.assume_crs = a->crs}))) {
            rc = cli_fail(ctx);
            goto done;
        }
    } else {
        if (!(lk = loc_lookup_read(ctx, a->from, NULL))) {
            rc = cli_fail(ctx);
            goto done;
        }
        if (a->locality_column && loc_lookup_col(lk, a->locality_column) < 0) {
            cli_error("'%s': no column '%s'", a->from, a->locality_column);
            rc = CLI_EXIT_DATA;
            goto done;
        }
    }
    if ((rc = cli_load(ctx, a, &in)))
        goto done;
    given = polygons ? loc_partition_from_polygons(ctx, in.zones, in.boundaries, polys, NULL, NULL)
            : held   ? loc_partition_carry_overlay(ctx, in.zones, in.boundaries, held, held_b, NULL, LOC_CARRY_MOST,
                                                   &cs, NULL)
                     : loc_partition_from_lookup(ctx, in.zones, lk, a->locality_column);
    if (given && lk && loc_partition_check_lookup(ctx, in.zones, lk, a->locality_column, given, a->strict)) {
        loc_partition_destroy(given);
        given = NULL;
    }
    if (!given) {
        rc = cli_fail(ctx);
        goto done;
    }
    if ((rc = cli_graph_only(ctx, a, &in, &b)))
        goto done;
    loc_repair_stats rs;
    if (!(p = loc_partition_repair(ctx, given, b.graph, b.rows, max_pop, &rs))) {
        rc = cli_fail(ctx);
        goto done;
    }
    /* the guidance checks of assess, on the result */
    loc_assess_opts ao;
    loc_assess_opts_init(&ao);
    ao.max_pop = max_pop;
    if (!(as = loc_assess_run(ctx, in.zones, p, &ao, b.graph, b.rows))) {
        rc = cli_fail(ctx);
        goto done;
    }
    const char *out = a->out ? a->out : DEFAULT_OUT;
    if ((rc = cli_stage_open(ctx, &st, out, a)))
        goto done;
    if (loc_partition_write_zones_csv(ctx, p, loc_outset_path(&st, "zones.csv")) ||
        loc_repair_write_changes_csv(ctx, given, p, loc_outset_path(&st, "repair.csv"))) {
        rc = cli_fail(ctx);
        goto done;
    }
    if ((rc = cli_stage_commit(&st)))
        goto done;
    size_t nl = loc_partition_count(p), over = 0, cross = 0, discont = 0;
    for (size_t k = 0; k < nl; k++) {
        over += loc_assess_over_ceiling(as, k);
        cross += loc_assess_crosses_council(as, k);
        discont += loc_assess_discontiguous(as, k) == 1;
    }
    char n1[32], n2[32];
    if (held)
        printf("carried      %zu localities from '%s' by area over '%s': %zu zones (%s residents) exactly, %zu (%s) "
               "by most area, %zu not placed\n",
               loc_partition_count(given), a->from, a->from_boundaries, cs.exact,
               cli_count(n1, sizeof n1, cs.exact_pop),
               cs.most, cli_count(n2, sizeof n2, cs.most_pop), cs.unplaced);
    printf("repaired     %zu given localities into %zu\n", rs.given, rs.out);
    printf("  kept whole %zu (%s residents, %.1f%%)\n", rs.kept, cli_count(n1, sizeof n1, rs.pop_kept),
           rs.pop > 0 ? 100 * rs.pop_kept / rs.pop : 0.0);
    printf("  changed    %zu cut under %.0f residents, %zu split along council boundaries, %zu not contiguous "
           "(%zu detached parts joined to a neighbour)\n",
           rs.split, max_pop, rs.council_split, rs.discontiguous, rs.parts_merged);
    printf("  moved      %zu zones (%s residents) to another given locality; %.1f%% of residents keep their "
           "locality's code\n",
           rs.zones_moved, cli_count(n2, sizeof n2, rs.pop_moved), rs.pop > 0 ? 100 * rs.pop_same_code / rs.pop : 0.0);
    printf("  guidance   %zu over %.0f residents, %zu crossing a council boundary, %zu not contiguous\n", over, max_pop,
           cross, discont);
    printf("\nwrote        %s/: zones.csv repair.csv\n", out);
done:
    if (rc)
        loc_outset_abort(&st);
    loc_assess_destroy(as);
    loc_partition_destroy(p);
    loc_partition_destroy(given);
    loc_lookup_destroy(lk);
    loc_boundaries_destroy(polys);
    loc_boundaries_destroy(held_b);
    loc_csv_destroy(held);
    loc_problem_free(&b);
    loc_inputs_free(&in);
    return rc;
}

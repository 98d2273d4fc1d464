/*
 * `localities graph`: the contiguity graph of the study zones, written as
 * graph.gal and graph.gwt (for PySAL and GeoDa) and graph.csv, with a
 * summary an analyst can check: how many neighbours, which councils fall
 * apart into islands and how they were linked.  The island links themselves
 * are reported by the engine as it makes them.
 */
#include "cli.h"

#include "localities/graph.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_OUT "localities-out"

static void print_summary(const loc_inputs *in, const loc_graph *g, const char *dir)
{
    const loc_graph_stats *s = loc_graph_stats_get(g);
    char n1[32], n2[32], n3[32];
    printf("graph        %s zones, %s edges: %s rook", cli_count(n1, sizeof n1, (double)s->zones),
           cli_count(n2, sizeof n2, (double)s->edges), cli_count(n3, sizeof n3, (double)s->rook));
    if (s->queen)
        printf(", %zu queen", s->queen);
    printf(", %zu island link%s\n", s->island_links, s->island_links == 1 ? "" : "s");
    printf("  degree     mean %.2f, max %zu\n", s->mean_degree, s->max_degree);
    printf("  snapping   %zu pair%s found only within %g m%s\n", s->snapped, s->snapped == 1 ? "" : "s",
           s->snap_m, s->snap_chosen ? " (chosen from the data)" : "");
    printf("  boundary   %.1f%% of its length shared vertex for vertex with another zone\n",
           s->boundary_m > 0 ? 100 * s->exact_m / s->boundary_m : 0);
    printf("  isolated   %zu zone%s with no neighbour before linking\n", s->isolated, s->isolated == 1 ? "" : "s");
    if (s->unlinked)
        printf("  unlinked   %zu council%s still in parts\n", s->unlinked, s->unlinked == 1 ? "" : "s");

    const loc_zones *z = in->zones;
    printf("\nparts per council before linking (%zu council%s, %zu in more than one part):\n", s->councils,
           s->councils == 1 ? "" : "s", s->split_councils);
    for (size_t k = 0; k < loc_graph_ncouncils(g); k++) {
        int32_t c = loc_graph_council_id(g, k);
        size_t parts = loc_graph_components(g, c);
        printf("  %-10s %-28s %3zu part%s\n", loc_zones_council_code(z, (size_t)c), loc_zones_council_name(z, (size_t)c),
               parts, parts == 1 ? "" : "s");
    }
    printf("\nwrote        %s/graph.gal, %s/graph.gwt, %s/graph.csv\n", dir, dir, dir);
}

int cmd_graph(loc_ctx *ctx, cli_args *a)
{
    if (a->npositional)
        return cli_usage_error("graph", "unexpected argument '%s'", a->positional[0]);
    loc_graph_opts go;
    loc_graph_opts_init(&go);
    int rc = cli_snap_opts(a, &go);
    if (rc)
        return rc;
    if ((rc = cli_apply_defaults(a)))
        return rc;
    loc_inputs in;
    loc_problem b;
    loc_outset st;
    memset(&in, 0, sizeof in);
    memset(&b, 0, sizeof b);
    memset(&st, 0, sizeof st);
    const char *dir = a->out ? a->out : DEFAULT_OUT;
    if ((rc = cli_load(ctx, a, &in)) || (rc = cli_graph_only(ctx, a, &in, &b)))
        goto done;
    /* the three files are staged and moved into place together, so a
     * failure part-way leaves the previous graph whole */
    const char *layer = loc_boundaries_layer(in.boundaries), *field = loc_boundaries_zone_field(in.boundaries);
    if ((rc = cli_stage_open(ctx, &st, dir, a)))
        goto done;
    if (loc_graph_write_gal(ctx, b.graph, b.codes, loc_outset_path(&st, "graph.gal"), layer, field) ||
        loc_graph_write_gwt(ctx, b.graph, b.codes, loc_outset_path(&st, "graph.gwt"), layer, field) ||
        loc_graph_write_csv(ctx, b.graph, b.codes, loc_outset_path(&st, "graph.csv"))) {
        rc = cli_fail(ctx);
        goto done;
    }
    if ((rc = cli_stage_commit(&st)))
        goto done;
    print_summary(&in, b.graph, dir);
done:
    if (rc)
        loc_outset_abort(&st);
    loc_problem_free(&b);
    loc_inputs_free(&in);
    return rc;
}

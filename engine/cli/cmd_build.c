/*
 * `localities build`: zones -> localities.  Turns the options into the
 * engine's problem options (pipeline.h: loc_problem_build does the
 * graph, the build and the naming), writes zones.csv and feasibility.csv
 * as one set, and prints a summary per council an analyst can check: how
 * many localities, their populations, how well they follow deprivation,
 * how many natural communities were kept whole.  cli_build is shared with
 * `run`.
 */
#include "cli.h"


#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_OUT "localities-out"

int cli_graph_only(loc_ctx *ctx, const cli_args *a, const loc_inputs *in, loc_problem *b)
{
    memset(b, 0, sizeof *b);
    loc_graph_opts go;
    loc_graph_opts_init(&go);
    go.queen = a->queen;
    int rc = cli_snap_opts(a, &go);
    if (rc)
        return rc;
    return loc_problem_graph(ctx, in, &go, b) ? cli_fail(ctx) : CLI_EXIT_OK;
}

int cli_write_feasibility(loc_ctx *ctx, const loc_inputs *in, const loc_problem *b, const char *path)
{
    if (!b->feasibility)
        return CLI_EXIT_OK; /* localities given, not built */
    if (loc_feasibility_write_csv(ctx, b->feasibility, b->nfeasibility, &b->input, &b->opts, in->zones, path))
        return cli_fail(ctx);
    return CLI_EXIT_OK;
}

int cli_build(loc_ctx *ctx, const cli_args *a, const loc_inputs *in, loc_problem *b)
{
    memset(b, 0, sizeof *b);
    loc_problem_opts po;
    cli_respect *rb = malloc(sizeof *rb);
    if (!rb) {
        cli_error("out of memory");
        return CLI_EXIT_DATA;
    }
    int rc = cli_problem_opts(a, rb, &po);
    if (!rc && loc_problem_build(ctx, in, &po, b))
        rc = cli_fail(ctx);
    free(rb);
    return rc;
}

/* ---------------------------------------------------------------------
 * Summary
 * --------------------------------------------------------------------- */

int cli_make_out_dir(const char *dir)
{
    struct stat sb;
    if (mkdir(dir, 0777) == 0)
        return CLI_EXIT_OK;
    if (errno == EEXIST) {
        if (stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode))
            return CLI_EXIT_OK;
        cli_error("the output folder '%s' exists and is not a folder", dir);
        return CLI_EXIT_DATA;
    }
    cli_error("cannot create the output folder '%s': %s", dir, strerror(errno));
    return CLI_EXIT_DATA;
}

int cmd_build(loc_ctx *ctx, cli_args *a)
{
    if (a->npositional)
        return cli_usage_error("build", "unexpected argument '%s'", a->positional[0]);
    if (a->from)
        return cmd_build_from(ctx, a); /* repair given localities: engine/cli/cmd_repair.c */
    int rc = cli_build_check(a);
    if (rc)
        return rc;
    if ((rc = cli_apply_defaults(a)))
        return rc;
    loc_inputs in;
    loc_problem b;
    memset(&b, 0, sizeof b);
    if ((rc = cli_load(ctx, a, &in)) || (rc = cli_build(ctx, a, &in, &b)))
        goto done;
    /* zones.csv and feasibility.csv change as one set, as run's outputs do */
    const char *dir = a->out ? a->out : DEFAULT_OUT;
    loc_outset st;
    if ((rc = cli_stage_open(ctx, &st, dir, a)))
        goto done;
    if (loc_partition_write_zones_csv(ctx, b.partition, loc_outset_path(&st, "zones.csv")) ||
        loc_feasibility_write_csv(ctx, b.feasibility, b.nfeasibility, &b.input, &b.opts, in.zones,
                                  loc_outset_path(&st, "feasibility.csv"))) {
        rc = cli_fail(ctx);
        loc_outset_abort(&st);
        goto done;
    }
    if ((rc = cli_stage_commit(&st)))
        goto done;
    char path[4200];
    snprintf(path, sizeof path, "%s/zones.csv", dir);
    cli_print_build(a, &in, &b, path);
done:
    loc_problem_free(&b);
    loc_inputs_free(&in);
    return rc;
}

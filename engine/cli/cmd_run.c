/*
 * `localities run`: the main job.  Load, build the graph and the
 * localities, assess them, and write every output.  All files are written
 * into a staging folder inside --out and moved into place only when every
 * one of them is complete, so a failed run leaves the previous outputs
 * untouched.  Progress goes to stderr: a line per stage that rewrites
 * itself on a terminal, plain log lines otherwise (and nothing with
 * --quiet).
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_OUT "localities-out"

/* ---------------------------------------------------------------------
 * Progress
 * --------------------------------------------------------------------- */

void cli_progress_init(cli_progress *p, const cli_args *a, int stages)
{
    memset(p, 0, sizeof *p);
    p->quiet = a->quiet;
    p->tty = isatty(2) && !cli_msg_prefix; /* runs of a batch share the terminal */
    p->stages = stages;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    p->t0 = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_step(cli_progress *p, const char *fmt, ...)
{
    if (p->quiet)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double t = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec - p->t0;
    p->stage++;
    if (p->tty)
        fprintf(stderr, "\r\033[K[%d/%d %5.1fs] %s", p->stage, p->stages, t, msg);
    else if (cli_msg_prefix)
        fprintf(stderr, CLI_PROG ": [%s] [%d/%d] %s\n", cli_msg_prefix, p->stage, p->stages, msg);
    else
        fprintf(stderr, CLI_PROG ": [%d/%d] %s\n", p->stage, p->stages, msg);
    fflush(stderr);
}

void cli_progress_done(cli_progress *p)
{
    if (!p->quiet && p->tty)
        fprintf(stderr, "\r\033[K");
}

/* ---------------------------------------------------------------------
 * Staging folder
 * --------------------------------------------------------------------- */

int cli_stage_open(cli_stage *s, const char *out)
{
    memset(s, 0, sizeof *s);
    s->out = out;
    if (cli_make_out_dir(out))
        return CLI_EXIT_DATA;
    snprintf(s->dir, sizeof s->dir, "%s/.localities-run-XXXXXX", out);
    if (!mkdtemp(s->dir)) {
        cli_error("cannot write in the output folder '%s': %s", out, strerror(errno));
        s->dir[0] = 0;
        return CLI_EXIT_DATA;
    }
    return CLI_EXIT_OK;
}

const char *cli_stage_path(cli_stage *s, const char *name)
{
    if (s->nnames < sizeof s->names / sizeof *s->names)
        s->names[s->nnames++] = name;
    snprintf(s->path, sizeof s->path, "%s/%s", s->dir, name);
    return s->path;
}

/* Remove the staging folder and whatever is in it. */
static void stage_remove(cli_stage *s)
{
    if (!s->dir[0])
        return;
    DIR *d = opendir(s->dir);
    if (d) {
        struct dirent *e;
        char p[4200];
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(p, sizeof p, "%s/%s", s->dir, e->d_name);
                unlink(p);
            }
        closedir(d);
    }
    rmdir(s->dir);
    s->dir[0] = 0;
}

int cli_stage_commit(cli_stage *s)
{
    char from[4200], to[4200];
    for (size_t k = 0; k < s->nnames; k++) {
        snprintf(from, sizeof from, "%s/%s", s->dir, s->names[k]);
        snprintf(to, sizeof to, "%s/%s", s->out, s->names[k]);
        if (access(from, F_OK) != 0)
            continue; /* a writer that chose to write nothing */
        if (rename(from, to) != 0) {
            cli_error("cannot move '%s' into place: %s", to, strerror(errno));
            stage_remove(s);
            return CLI_EXIT_DATA;
        }
    }
    stage_remove(s);
    return CLI_EXIT_OK;
}

void cli_stage_abort(cli_stage *s) { stage_remove(s); }

/* ---------------------------------------------------------------------
 * The command
 * --------------------------------------------------------------------- */

int cli_run_pipeline(loc_ctx *ctx, cli_args *a, const char *out, FILE *summary)
{
    cli_progress pr;
    cli_progress_init(&pr, a, 4);
    cli_inputs in;
    cli_built b;
    cli_stage st;
    int rc;
    memset(&in, 0, sizeof in);
    memset(&b, 0, sizeof b);
    memset(&st, 0, sizeof st);
    cli_step(&pr, "loading '%s' and '%s'", a->boundaries, a->indicators);
    if ((rc = cli_load(ctx, a, &in)))
        goto done;
    cli_step(&pr, "building localities of %zu study zones", loc_zones_nstudy(in.zones));
    if ((rc = cli_build(ctx, a, &in, &b)))
        goto done;
    cli_step(&pr, "writing outputs to '%s'", out);
    if ((rc = cli_stage_open(&st, out)))
        goto done;
    const char *layer = loc_boundaries_layer(in.boundaries), *field = loc_boundaries_zone_field(in.boundaries);
    if (loc_partition_write_zones_csv(ctx, b.partition, cli_stage_path(&st, "zones.csv")) ||
        loc_graph_write_csv(ctx, b.graph, b.codes, cli_stage_path(&st, "graph.csv")) ||
        loc_graph_write_gal(ctx, b.graph, b.codes, cli_stage_path(&st, "graph.gal"), layer, field) ||
        loc_graph_write_gwt(ctx, b.graph, b.codes, cli_stage_path(&st, "graph.gwt"), layer, field)) {
        rc = cli_fail(ctx);
        goto done;
    }
    cli_step(&pr, "moving outputs into place");
    if ((rc = cli_stage_commit(&st)))
        goto done;
    cli_progress_done(&pr);
    const loc_build_stats *s = loc_build_stats_get(b.result);
    char n1[32];
    double total = 0;
    for (size_t l = 0; l < loc_partition_count(b.partition); l++)
        total += loc_partition_population(b.partition, l);
    fprintf(summary, "localities   %zu from %zu zones (%s residents) in %zu council%s\n",
            loc_partition_count(b.partition), b.n, cli_count(n1, sizeof n1, total), loc_graph_ncouncils(b.graph),
            loc_graph_ncouncils(b.graph) == 1 ? "" : "s");
    fprintf(summary, "  quality    R^2 %.3f over %s; %.1f%% of soft groups kept whole\n", s->r2,
            b.nfeat ? b.feat_names : "no features", 100 * (1 - s->soft_split));
    fprintf(summary, "wrote        %s/:", out);
    for (size_t k = 0; k < st.nnames; k++)
        fprintf(summary, " %s", st.names[k]);
    fprintf(summary, "\n");
done:
    if (rc) {
        cli_stage_abort(&st);
        cli_progress_done(&pr);
    }
    cli_built_free(&b);
    cli_inputs_free(&in);
    return rc;
}

int cmd_run(loc_ctx *ctx, cli_args *a)
{
    if (a->npositional)
        return cli_usage_error("run", "unexpected argument '%s'", a->positional[0]);
    int rc = cli_apply_defaults(a);
    if (rc)
        return rc;
    return cli_run_pipeline(ctx, a, a->out ? a->out : DEFAULT_OUT, stdout);
}

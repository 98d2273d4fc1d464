/*
 * `localities run`: the main job.  Load, build the graph and the
 * localities, assess them, and write every output.  All files are written
 * into a staging folder inside --out and moved into place only when every
 * one of them is complete, so a failed run leaves the previous outputs
 * untouched.  The files are independent once the localities are
 * dissolved, so they are written concurrently, each by a thread with its
 * own context (its own GEOS and PROJ contexts and GDAL datasets), reading
 * the shared results only; the staging and the commit of the whole set
 * are as they were.  Progress goes to stderr: a line per stage that
 * rewrites itself on a terminal, plain log lines otherwise (and nothing
 * with --quiet).
 */
#include "cli.h"

#include "localities/ensemble.h"

#include "localities/writers.h"

#include <math.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_OUT "localities-out"

/* ---------------------------------------------------------------------
 * The outputs, written by the engine into the staging folder
 * --------------------------------------------------------------------- */

/* The report's data sources: the files given. */
static size_t report_sources(const cli_args *a, const loc_problem *b, loc_kv *sources, size_t max)
{
    size_t ns = 0;
    sources[ns++] = (loc_kv){"boundaries", a->boundaries};
    sources[ns++] = (loc_kv){"indicators", a->indicators};
    sources[ns++] = (loc_kv){"indicator spec", a->spec};
    if (!b->result && a->localities)
        sources[ns++] = (loc_kv){"localities", a->localities};
    for (size_t k = 0; k < a->nlookups && ns < max; k++)
        sources[ns++] = (loc_kv){"lookup", a->lookups[k]};
    return ns;
}

/* --threads as a number, or 0 (the engine's default) when not given. */
static int threads_of(const cli_args *a)
{
    double v = 0;
    return a->threads && cli_number(a->command, "threads", a->threads, 1, 64, &v) == 0 ? (int)v : 0;
}

/* Every file of the run into the stage, several at once (--threads of
 * them at most, else the engine's default), each file's time noted. */
static loc_status write_files(loc_ctx *ctx, const cli_args *a, const loc_run *run, loc_outset *st, cli_progress *pr)
{
    char(*own)[4200] = malloc(LOC_RUN_NFILES * sizeof *own);
    const char *pp[LOC_RUN_NFILES];
    double secs[LOC_RUN_NFILES];
    if (!own)
        return loc_error(ctx, LOC_ENOMEM, "out of memory");
    /* every name taken before any writer starts (loc_outset_path's answer
     * lasts until its next call) */
    for (size_t k = 0; k < LOC_RUN_NFILES; k++) {
        snprintf(own[k], sizeof own[k], "%s", loc_outset_path(st, loc_run_file(k)));
        pp[k] = own[k];
    }
    loc_status rc = loc_run_write(ctx, run, pp, threads_of(a), secs);
    if (!rc)
        for (size_t k = 0; k < LOC_RUN_NFILES; k++)
            cli_time_file(pr, loc_run_file(k), secs[k]);
    free(own);
    return rc;
}

int cli_write_outputs(loc_ctx *ctx, const cli_args *a, const loc_inputs *in, const loc_problem *b,
                      const loc_partition *p, const loc_assess *as, const char *out, cli_progress *pr,
                      loc_outset *st, const cli_extra_writer *extra)
{
    loc_dissolved *d = NULL;
    loc_attrs *t = NULL;
    int rc = CLI_EXIT_OK;
    cli_step(pr, "dissolving %zu localities", loc_partition_count(p));
    loc_dissolve_opts dopts;
    loc_dissolve_opts_init(&dopts);
    dopts.threads = threads_of(a);
    if (!(d = loc_dissolve(ctx, p, in->boundaries, &dopts)) || !(t = loc_assess_attrs(ctx, as)) ||
        (extra && extra->attrs && extra->attrs(ctx, extra->ud, t))) {
        rc = cli_fail(ctx);
        goto done;
    }
    cli_step(pr, "writing outputs to '%s'", out);
    if ((rc = cli_stage_open(ctx, st, out, a)))
        goto done;
    loc_kv sources[5 + CLI_MAX_REPEAT];
    loc_run run = {in, b, p, as, d, t, sources, report_sources(a, b, sources, sizeof sources / sizeof *sources)};
    if (write_files(ctx, a, &run, st, pr) || (extra && extra->write && extra->write(ctx, extra->ud, st))) {
        rc = cli_fail(ctx);
        goto done;
    }
    cli_step(pr, "moving outputs into place");
    rc = cli_stage_commit(st);
done:
    loc_attrs_destroy(t);
    loc_dissolved_destroy(d);
    return rc;
}

/* --ensemble: the plans' results, written into the stage with the rest. */
typedef struct ensemble_out {
    loc_ensemble *e;
    const loc_partition *p;
    const loc_assess *as;
    double seconds;
} ensemble_out;

static loc_status write_ensemble(loc_ctx *ctx, void *ud, loc_outset *st)
{
    ensemble_out *eo = ud;
    char zones[4200], locs[4200]; /* loc_outset_path's answer lasts until its next call */
    snprintf(zones, sizeof zones, "%s", loc_outset_path(st, "ensemble_zones.csv"));
    loc_status rc = loc_ensemble_write_csv(ctx, eo->e, eo->p, eo->as, zones,
                                           loc_outset_path(st, "ensemble_localities.csv"));
    if (rc)
        return rc;
    /* and the columns in the staged zones.csv and localities.csv (staged
     * already: not registered again) */
    snprintf(zones, sizeof zones, "%s/zones.csv", st->dir);
    snprintf(locs, sizeof locs, "%s/localities.csv", st->dir);
    return loc_ensemble_append_columns(ctx, eo->e, eo->p, zones, locs);
}

/* The ensemble's columns on each locality of the GeoJSON and GeoPackage. */
static loc_status ensemble_attrs(loc_ctx *ctx, void *ud, loc_attrs *t)
{
    ensemble_out *eo = ud;
    size_t cs, ch, cr;
    loc_status st;
    if ((st = loc_attrs_add(ctx, t, "plans_similar", LOC_ATTR_INT, &cs)) ||
        (st = loc_attrs_add(ctx, t, "flag_holds_share", LOC_ATTR_REAL, &ch)) ||
        (st = loc_attrs_add(ctx, t, "residents_flagged_share", LOC_ATTR_REAL, &cr)))
        return st;
    for (size_t k = 0; k < loc_partition_count(eo->p); k++) {
        double h = loc_ensemble_flag_holds(eo->e, k), r = loc_ensemble_locality_share(eo->e, eo->p, k);
        if ((st = loc_attrs_set_int(ctx, t, cs, k, (int64_t)loc_ensemble_similar(eo->e, k))) ||
            (!isnan(h) && (st = loc_attrs_set_real(ctx, t, ch, k, h))) ||
            (!isnan(r) && (st = loc_attrs_set_real(ctx, t, cr, k, r))))
            return st;
    }
    return LOC_OK;
}

/* Residents by the share of plans flagging their zone: at least 90%,
 * 10 to 90%, under 10%. */
static void print_ensemble(FILE *f, const loc_inputs *in, const ensemble_out *eo)
{
    const double *share = loc_ensemble_zone_share(eo->e), *pop = loc_zones_population(in->zones);
    double hi = 0, mid = 0, lo = 0;
    for (size_t r = 0; r < loc_zones_count(in->zones); r++) {
        if (isnan(share[r]))
            continue;
        double w = isnan(pop[r]) ? 0 : pop[r];
        if (share[r] >= 0.9)
            hi += w;
        else if (share[r] >= 0.1)
            mid += w;
        else
            lo += w;
    }
    char a[32], b[32], c[32];
    fprintf(f, "  ensemble   %zu plans (%.1f s): %s residents in zones flagged in 90%% of plans or more, %s in 10-90%%, "
               "%s under 10%%\n",
            loc_ensemble_plans(eo->e), eo->seconds, cli_count(a, sizeof a, hi), cli_count(b, sizeof b, mid),
            cli_count(c, sizeof c, lo));
}

int cli_run_pipeline(loc_ctx *ctx, cli_args *a, const char *out, FILE *summary)
{
    ensemble_out eo = {0};
    cli_extra_writer extra = {write_ensemble, &eo, ensemble_attrs};
    cli_progress pr;
    cli_progress_init(&pr, a, 6);
    loc_inputs in;
    loc_problem b;
    loc_outset st;
    loc_assess_opts ao;
    loc_assess *as = NULL;
    int rc;
    memset(&in, 0, sizeof in);
    memset(&b, 0, sizeof b);
    memset(&st, 0, sizeof st);
    double nplans = 0;
    if ((rc = cli_assess_opts(a, &ao)) || (rc = cli_build_check(a)) ||
        (a->ensemble && (rc = cli_number("run", "ensemble", a->ensemble, 1, 1000, &nplans))))
        return rc;
    cli_step(&pr, "loading '%s' and '%s'", a->boundaries, a->indicators);
    if ((rc = cli_load(ctx, a, &in)))
        goto done;
    cli_step(&pr, "building localities of %zu study zones", loc_zones_nstudy(in.zones));
    if ((rc = cli_build(ctx, a, &in, &b)))
        goto done;
    cli_step(&pr, "assessing %zu localities on %zu indicators", loc_partition_count(b.partition),
             loc_zones_nindicators(in.zones));
    cli_spread_groups(a, &b, &ao);
    if (!(as = loc_assess_run(ctx, in.zones, b.partition, &ao, b.graph, b.rows))) {
        rc = cli_fail(ctx);
        goto done;
    }
    if (nplans > 0) {
        loc_ensemble_opts eopts;
        loc_ensemble_opts_init(&eopts);
        eopts.plans = (size_t)nplans;
        loc_build_grouping gr[LOC_BUILD_MAX_GROUPINGS];
        loc_build_input ein = b.input;
        ein.ngroupings = loc_problem_groupings(&b, gr);
        ein.groupings = gr;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (!(eo.e = loc_ensemble_run(ctx, &ein, &b.opts, &eopts, in.zones, b.rows, &ao, b.partition, as))) {
            rc = cli_fail(ctx);
            goto done;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        eo.seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        eo.p = b.partition;
        eo.as = as;
    }
    if ((rc = cli_write_outputs(ctx, a, &in, &b, b.partition, as, out, &pr, &st, eo.e ? &extra : NULL)))
        goto done;
    cli_progress_done(&pr);
    const loc_build_stats *s = loc_build_stats_get(b.result);
    char n1[32];
    double total = 0;
    for (size_t l = 0; l < loc_partition_count(b.partition); l++)
        total += loc_partition_population(b.partition, l);
    /* councils of the zones (the graph's may be council x nest group) */
    size_t ncouncils = 0;
    for (size_t c = 0; c < loc_zones_ncouncils(in.zones); c++)
        for (size_t l = 0; l < loc_partition_count(b.partition); l++)
            if (loc_partition_council(b.partition, l) == (int32_t)c) {
                ncouncils++;
                break;
            }
    fprintf(summary, "localities   %zu from %zu zones (%s residents) in %zu council%s\n",
            loc_partition_count(b.partition), b.n, cli_count(n1, sizeof n1, total), ncouncils,
            ncouncils == 1 ? "" : "s");
    fprintf(summary, "  quality    R^2 %.3f over %s; ", s->r2, b.nfeat ? b.feat_names : "no features");
    if (loc_problem_has_soft(&b))
        fprintf(summary, "%.1f%% of soft groups kept whole\n", 100 * (1 - s->soft_split));
    else
        fprintf(summary, "%s\n", b.ngroupings ? "no soft grouping" : "no grouping respected");
    cli_print_codes_kept(summary, a->codes_from, &b);
    cli_print_feasibility(summary, &b);
    if (eo.e)
        print_ensemble(summary, &in, &eo);
    cli_print_assessment(summary, &in, b.partition, as);
    fprintf(summary, "\nwrote        %s/:", out);
    for (size_t k = 0; k < st.nnames; k++)
        fprintf(summary, " %s", st.names[k]);
    fprintf(summary, "\n");
done:
    if (rc) {
        loc_outset_abort(&st);
        cli_progress_done(&pr);
    }
    loc_ensemble_destroy(eo.e);
    loc_assess_destroy(as);
    loc_problem_free(&b);
    loc_inputs_free(&in);
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

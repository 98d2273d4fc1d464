/*
 * `localities batch MANIFEST.csv`: several runs from one manifest, one
 * row per run (a SIMD release, say), in parallel.  Each run writes to its
 * own folder and its summary to summary.txt there; a failed run is
 * reported with its row and does not stop the others (--fail-fast makes
 * the first failure skip the runs not yet started).  The exit status is 0
 * only when every run succeeded.
 *
 * Manifest columns, by name: name (required; the run's folder under
 * --out), boundaries, indicators, spec (required), lookups (optional,
 * separated by ';'), respect (optional, FILE:COLUMN:hard|soft entries
 * separated by ';', as --respect), options (optional: more command-line
 * options separated by spaces, as for `run`), out (optional folder instead
 * of --out/name), year (optional; else the first 4-digit number of the
 * name, for progress across releases).  Relative paths are taken from the manifest's folder, so a
 * manifest works from wherever the tool is run.
 */
#include "batch.h"

#include "localities/progress.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_OUT "localities-out"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}


/* A temporary file for dir/name, created by mkstemp under an unpredictable
 * name (O_CREAT|O_EXCL: never through a link someone planted, never over a
 * file someone else holds); its name goes to tmp.  NULL with the error
 * printed. */
static FILE *open_temp(const char *dir, const char *name, char *tmp, size_t size)
{
    if (snprintf(tmp, size, "%s/.%s.tmp-XXXXXX", dir, name) >= (int)size) {
        cli_error("cannot write in '%s': the name is too long", dir);
        return NULL;
    }
    int fd = mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        cli_error("cannot write '%s/%s': %s", dir, name, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        return NULL;
    }
    /* mkstemp makes it 0600; an output is for everyone who reads the folder */
    fchmod(fd, 0644);
    return f;
}

/* Run one row: its own context, its own summary file. */
static void run_one(batch *bt, batch_run *run)
{
    cli_msg_prefix = run->name;
    double t0 = now_s();
    loc_ctx *ctx = loc_ctx_create(NULL);
    if (!ctx) {
        cli_error("cannot start: out of memory");
        run->rc = CLI_EXIT_DATA;
        return;
    }
    run->args.msg_prefix = run->name;
    loc_ctx_set_report(ctx, cli_report, &run->args);
    if (!bt->quiet)
        fprintf(stderr, CLI_PROG ": [%s] started (manifest line %zu)\n", run->name, run->line);
    char tmp[4200];
    FILE *summary = NULL;
    run->rc = cli_make_out_dir(run->out);
    if (!run->rc) {
        /* the summary, like the outputs, appears only when the run succeeds */
        if (!(summary = open_temp(run->out, "summary.txt", tmp, sizeof tmp))) {
            cli_error("cannot write '%s': %s", tmp, strerror(errno));
            run->rc = CLI_EXIT_DATA;
        }
    }
    if (!run->rc)
        run->rc = bt->hold ? batch_hold_run(ctx, run, bt->hold, bt->rule, summary)
                           : cli_run_pipeline(ctx, &run->args, run->out, summary);
    if (summary) {
        char final[4200];
        snprintf(final, sizeof final, "%s/summary.txt", run->out);
        if (fclose(summary) != 0 && !run->rc) {
            cli_error("cannot write '%s': %s", final, strerror(errno));
            run->rc = CLI_EXIT_DATA;
        }
        if (run->rc || rename(tmp, final) != 0)
            remove(tmp);
    }
    if (run->release)
        run->ctx = ctx; /* the release lives until the comparison */
    else
        loc_ctx_destroy(ctx);
    if (run->rc)
        rmdir(run->out); /* a failed run leaves no folder behind, unless one was there */
    run->secs = now_s() - t0;
    if (run->rc)
        fprintf(stderr, CLI_PROG ": [%s] FAILED after %.1f s (manifest line %zu)\n", run->name, run->secs, run->line);
    else if (!bt->quiet)
        fprintf(stderr, CLI_PROG ": [%s] done in %.1f s\n", run->name, run->secs);
    cli_msg_prefix = NULL;
}

static void *worker(void *arg)
{
    batch *bt = arg;
    for (;;) {
        pthread_mutex_lock(&bt->lock);
        size_t k = bt->next;
        int stop = bt->fail_fast && bt->failed;
        if (k < bt->nruns && !stop)
            bt->next++;
        pthread_mutex_unlock(&bt->lock);
        if (k >= bt->nruns || stop)
            return NULL;
        run_one(bt, &bt->runs[k]);
        if (bt->runs[k].rc) {
            pthread_mutex_lock(&bt->lock);
            bt->failed = 1;
            pthread_mutex_unlock(&bt->lock);
        }
    }
}

/* Run every row on `jobs` threads (the calling one included). */
static void run_all(batch *bt, int jobs)
{
    pthread_t tid[16];
    int started = 0;
    pthread_mutex_init(&bt->lock, NULL);
    for (int t = 1; t < jobs && t < 16; t++)
        if (pthread_create(&tid[started], NULL, worker, bt) == 0)
            started++;
    worker(bt);
    for (int t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
    pthread_mutex_destroy(&bt->lock);
}

int cmd_batch(loc_ctx *ctx, cli_args *a)
{
    if (a->npositional != 1)
        return cli_usage_error("batch", a->npositional ? "one manifest, not %zu arguments" : "no manifest given%.0zu",
                               a->npositional);
    double jobs = 2;
    int rc;
    if (a->jobs && (rc = cli_number("batch", "jobs", a->jobs, 1, 16, &jobs)))
        return rc;
    loc_carry_rule rule = LOC_CARRY_MOST;
    if (a->hold_rule && !a->hold)
        return cli_usage_error("batch", "--hold-rule needs --hold-localities");
    if (a->hold_rule && strcmp(a->hold_rule, "most") != 0 && strcmp(a->hold_rule, "all") != 0)
        return cli_usage_error("batch", "--hold-rule needs most or all, not '%s'", a->hold_rule);
    if (a->targets && !a->hold)
        return cli_usage_error("batch", "--targets needs --hold-localities");
    if (a->hold_rule && strcmp(a->hold_rule, "all") == 0)
        rule = LOC_CARRY_ALL;
    const char *mpath = a->positional[0];
    loc_csv *m = loc_csv_read(ctx, mpath);
    if (!m)
        return cli_fail(ctx);
    batch bt = {0};
    bt.fail_fast = a->fail_fast;
    bt.quiet = a->quiet;
    bt.hold = a->hold;
    bt.rule = rule;
    const char *out_root = a->out ? a->out : DEFAULT_OUT;
    size_t bad = 0;
    rc = batch_manifest_runs(m, mpath, out_root, &bt, &bad);
    loc_csv_destroy(m);
    if (rc)
        return rc;
    if (bad && a->fail_fast) {
        free(bt.runs);
        return CLI_EXIT_DATA;
    }
    /* progress: a bad targets file is refused before anything is written */
    cli_targets *prog = NULL;
    if (bt.hold && bt.nruns) {
        const char *pn[MAX_RUNS], *ps[MAX_RUNS];
        int py[MAX_RUNS];
        for (size_t k = 0; k < bt.nruns; k++) {
            pn[k] = bt.runs[k].name;
            ps[k] = bt.runs[k].spec;
            py[k] = bt.runs[k].year;
        }
        if ((rc = cli_progress_prepare(ctx, bt.quiet, bt.hold, a->targets, bt.nruns, pn, py, ps, &prog))) {
            free(bt.runs);
            return rc;
        }
    }
    if (bt.nruns && cli_make_out_dir(out_root)) {
        cli_progress_free(prog);
        free(bt.runs);
        return CLI_EXIT_DATA;
    }
    if (bt.hold) {
        batch_key_indicators(ctx, &bt);
        for (size_t k = 0; k < bt.nruns; k++) {
            bt.runs[k].key = bt.key;
            bt.runs[k].nkey = bt.nkey;
        }
    }
    double t0 = now_s();
    run_all(&bt, (int)jobs);
    double wall = now_s() - t0;
    size_t ok = 0, failed = 0, skipped = 0;
    printf("batch        %zu run%s from '%s', %d at a time, %.1f s\n", bt.nruns + bad, bt.nruns + bad == 1 ? "" : "s",
           mpath, (int)jobs, wall);
    for (size_t k = 0; k < bt.nruns; k++) {
        batch_run *run = &bt.runs[k];
        const char *what = run->rc < 0 ? "skipped" : run->rc ? "FAILED" : "ok";
        ok += run->rc == 0;
        failed += run->rc > 0;
        skipped += run->rc < 0;
        printf("  %-16s %-8s %6.1f s  %s\n", run->name, what, run->rc < 0 ? 0.0 : run->secs, run->out);
    }
    if (bad)
        printf("  %zu manifest row%s could not be read (see the messages above)\n", bad, bad == 1 ? "" : "s");
    printf("  %zu ok, %zu failed, %zu skipped\n", ok, failed + bad, skipped);
    if (bt.hold && ok && batch_write_comparison(ctx, &bt, out_root))
        failed++;
    if (prog && ok) {
        const char *po[MAX_RUNS];
        int pok[MAX_RUNS];
        for (size_t k = 0; k < bt.nruns; k++) {
            po[k] = bt.runs[k].out;
            pok[k] = bt.runs[k].rc == 0;
        }
        if (cli_progress_finish(ctx, prog, po, pok, out_root))
            failed++;
    }
    cli_progress_free(prog);
    for (size_t k = 0; k < bt.nruns; k++) {
        loc_release_destroy(bt.runs[k].release);
        loc_ctx_destroy(bt.runs[k].ctx);
    }
    loc_spec_destroy(bt.kspec);
    free(bt.runs);
    return failed || bad || skipped ? CLI_EXIT_DATA : CLI_EXIT_OK;
}

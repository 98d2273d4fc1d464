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
 * of --out/name).  Relative paths are taken from the manifest's folder, so a
 * manifest works from wherever the tool is run.
 */
#include "cli.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_OUT "localities-out"
#define MAX_RUNS 64
#define MAX_OPT_WORDS 64

typedef struct batch_run {
    size_t line;           /* manifest line, for messages */
    char name[128];
    char out[4096];
    char boundaries[4096], indicators[4096], spec[4096];
    char lookups[CLI_MAX_REPEAT][4096];
    size_t nlookups;
    char respect[8][4200];
    size_t nrespect;
    char optbuf[2048];     /* the options column, cut into words in place */
    char *words[MAX_OPT_WORDS + 1];
    int nwords;
    cli_args args;
    int rc;                /* exit status of the run; -1 not run */
    double secs;
} batch_run;

typedef struct batch {
    batch_run *runs;
    size_t nruns, next;
    int fail_fast, failed, quiet;
    pthread_mutex_t lock;
} batch;

/* path relative to the manifest's folder, unless absolute. */
static void resolve(char *dst, size_t size, const char *dir, const char *path)
{
    if (path[0] == '/' || !dir[0])
        snprintf(dst, size, "%s", path);
    else
        snprintf(dst, size, "%s/%s", dir, path);
}

static const char *field(const loc_csv *m, size_t r, long col)
{
    return col >= 0 ? loc_csv_field(m, r, (size_t)col) : "";
}

/* One manifest row into a run; a usage error names the line. */
static int read_row(const loc_csv *m, size_t r, const char *dir, const char *out_root, const long *col, batch_run *run)
{
    memset(run, 0, sizeof *run);
    run->rc = -1;
    run->line = loc_csv_line(m, r);
    const char *mname = loc_csv_name(m);
    const char *name = field(m, r, col[0]);
    if (!name[0] || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        cli_error("'%s' line %zu: the name '%s' is empty or not a folder name", mname, run->line, name);
        return CLI_EXIT_DATA;
    }
    snprintf(run->name, sizeof run->name, "%s", name);
    const char *need[] = {"boundaries", "indicators", "spec"};
    char *dst[] = {run->boundaries, run->indicators, run->spec};
    for (int k = 0; k < 3; k++) {
        const char *v = field(m, r, col[1 + k]);
        if (!v[0]) {
            cli_error("'%s' line %zu (%s): no %s", mname, run->line, name, need[k]);
            return CLI_EXIT_DATA;
        }
        resolve(dst[k], 4096, dir, v);
    }
    char lk[8192];
    snprintf(lk, sizeof lk, "%s", field(m, r, col[4]));
    for (char *save = NULL, *t = strtok_r(lk, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
        while (*t == ' ')
            t++;
        if (!*t)
            continue;
        if (run->nlookups >= CLI_MAX_REPEAT) {
            cli_error("'%s' line %zu (%s): more than %d lookups", mname, run->line, name, CLI_MAX_REPEAT);
            return CLI_EXIT_DATA;
        }
        resolve(run->lookups[run->nlookups++], 4096, dir, t);
    }
    char rs[8192];
    snprintf(rs, sizeof rs, "%s", field(m, r, col[7]));
    for (char *save = NULL, *t = strtok_r(rs, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
        while (*t == ' ')
            t++;
        if (!*t)
            continue;
        if (run->nrespect >= 8) {
            cli_error("'%s' line %zu (%s): more than 8 groupings to respect", mname, run->line, name);
            return CLI_EXIT_DATA;
        }
        if (strcmp(t, "none") == 0)
            snprintf(run->respect[run->nrespect++], sizeof run->respect[0], "none");
        else
            resolve(run->respect[run->nrespect++], sizeof run->respect[0], dir, t);
    }
    const char *o = field(m, r, col[6]);
    if (o[0])
        resolve(run->out, sizeof run->out, dir, o);
    else
        snprintf(run->out, sizeof run->out, "%s/%s", out_root, name);
    /* options: words, then the shared option parser */
    snprintf(run->optbuf, sizeof run->optbuf, "%s", field(m, r, col[5]));
    run->words[run->nwords++] = (char *)"batch";
    for (char *save = NULL, *t = strtok_r(run->optbuf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        if (run->nwords >= MAX_OPT_WORDS) {
            cli_error("'%s' line %zu (%s): too many options", mname, run->line, name);
            return CLI_EXIT_DATA;
        }
        run->words[run->nwords++] = t;
    }
    cli_args *a = &run->args;
    if (cli_parse(run->nwords, run->words, 1, a, "run")) {
        cli_error("'%s' line %zu (%s): bad options '%s'", mname, run->line, name, field(m, r, col[5]));
        return CLI_EXIT_DATA;
    }
    if (a->npositional || a->out || a->boundaries || a->indicators || a->spec || a->nlookups || a->nrespect) {
        cli_error("'%s' line %zu (%s): give inputs and outputs in their own columns, not as options", mname, run->line,
                  name);
        return CLI_EXIT_DATA;
    }
    a->boundaries = run->boundaries;
    a->indicators = run->indicators;
    a->spec = run->spec;
    for (size_t k = 0; k < run->nlookups; k++)
        a->lookups[a->nlookups++] = run->lookups[k];
    for (size_t k = 0; k < run->nrespect; k++)
        a->respect[a->nrespect++] = run->respect[k];
    a->command = "run";
    a->quiet = 1; /* per-run progress is the batch's own line */
    return CLI_EXIT_OK;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
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
    loc_ctx_set_report(ctx, cli_report, &run->args);
    if (!bt->quiet)
        fprintf(stderr, CLI_PROG ": [%s] started (manifest line %zu)\n", run->name, run->line);
    char tmp[4200];
    FILE *summary = NULL;
    run->rc = cli_make_out_dir(run->out);
    if (!run->rc) {
        /* the summary, like the outputs, appears only when the run succeeds */
        snprintf(tmp, sizeof tmp, "%s/.summary.txt.tmp", run->out);
        if (!(summary = fopen(tmp, "w"))) {
            cli_error("cannot write '%s': %s", tmp, strerror(errno));
            run->rc = CLI_EXIT_DATA;
        }
    }
    if (!run->rc)
        run->rc = cli_run_pipeline(ctx, &run->args, run->out, summary);
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
    const char *mpath = a->positional[0];
    loc_csv *m = loc_csv_read(ctx, mpath);
    if (!m)
        return cli_fail(ctx);
    static const char *const cols[] = {"name", "boundaries", "indicators", "spec", "lookups", "options", "out", "respect"};
    long col[8];
    for (int k = 0; k < 8; k++) {
        col[k] = loc_csv_column(m, cols[k]);
        if (k < 4 && col[k] < 0) {
            cli_error("'%s': no column '%s' (a manifest needs name, boundaries, indicators and spec)", mpath, cols[k]);
            loc_csv_destroy(m);
            return CLI_EXIT_DATA;
        }
    }
    size_t nrows = loc_csv_nrows(m);
    if (!nrows || nrows > MAX_RUNS) {
        cli_error("'%s': %zu runs; a manifest holds 1 to %d", mpath, nrows, MAX_RUNS);
        loc_csv_destroy(m);
        return CLI_EXIT_DATA;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", mpath);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        dir[0] = 0;
    batch bt = {0};
    bt.runs = calloc(nrows, sizeof *bt.runs);
    bt.fail_fast = a->fail_fast;
    bt.quiet = a->quiet;
    const char *out_root = a->out ? a->out : DEFAULT_OUT;
    if (!bt.runs) {
        cli_error("out of memory");
        loc_csv_destroy(m);
        return CLI_EXIT_DATA;
    }
    /* rows that cannot be read fail alone, before anything runs */
    size_t bad = 0;
    for (size_t r = 0; r < nrows; r++) {
        batch_run *run = &bt.runs[bt.nruns];
        if (read_row(m, r, dir, out_root, col, run)) {
            bad++;
            if (a->fail_fast)
                break;
            continue;
        }
        for (size_t q = 0; q < bt.nruns; q++)
            if (strcmp(bt.runs[q].name, run->name) == 0) {
                cli_error("'%s' line %zu: the name '%s' is already used on line %zu", mpath, run->line, run->name,
                          bt.runs[q].line);
                run = NULL;
                break;
            }
        if (!run) {
            bad++;
            continue;
        }
        bt.nruns++;
    }
    loc_csv_destroy(m);
    if (bad && a->fail_fast) {
        free(bt.runs);
        return CLI_EXIT_DATA;
    }
    if (bt.nruns && cli_make_out_dir(out_root)) {
        free(bt.runs);
        return CLI_EXIT_DATA;
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
    free(bt.runs);
    return failed || bad || skipped ? CLI_EXIT_DATA : CLI_EXIT_OK;
}

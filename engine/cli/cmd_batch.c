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
#include "cli.h"

#include "localities/compare.h"

#include "localities/overlay.h"
#include "localities/progress.h"
#include "localities/strmap.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_OUT "localities-out"
#define MAX_RUNS 64
/* Key indicators side by side in comparison.csv. */
#define NKEY 3
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
    char zone_map[4096];   /* hold mode: zone -> held zone lookup, "" for the same zones */
    char map_from[128], map_to[128];
    char map_boundaries[4096]; /* hold mode: the held zones' boundaries, "" for none: carry by area overlay */
    loc_carry_overlay_opts map_opts; /* hold mode by area: zone_map_sliver_m, zone_map_weight */
    int year;              /* release year: the year column, else the first 4-digit number of the name; -1 none */
    loc_carry_stats carried; /* hold mode: how the zones were placed */
    char domains[512];     /* hold mode: the plan rule's domains, ", "-separated, and its threshold */
    size_t plan_domains;
    char optbuf[2048];     /* the options column, cut into words in place */
    char *words[MAX_OPT_WORDS + 1];
    int nwords;
    cli_args args;
    int rc;                /* exit status of the run; -1 not run */
    double secs;
    const char *const *key; /* hold mode: the key indicators to keep (the batch's) */
    size_t nkey;
    loc_ctx *ctx;          /* hold mode: the run's context, kept for its release */
    loc_release *release;  /* hold mode: the run's results for the comparison */
} batch_run;

typedef struct batch {
    batch_run *runs;
    size_t nruns, next;
    int fail_fast, failed, quiet;
    const char *hold;      /* --hold-localities FILE, or NULL: build in each run */
    loc_carry_rule rule;   /* --hold-rule */
    pthread_mutex_t lock;
    loc_spec *kspec;       /* hold mode: the spec the key indicators' names come from */
    const char *key[NKEY]; /* hold mode: comparison.csv's key indicators */
    size_t nkey;
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
    run->year = loc_progress_release_year(name, field(m, r, col[14]));
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
    if (field(m, r, col[8])[0])
        resolve(run->zone_map, sizeof run->zone_map, dir, field(m, r, col[8]));
    if (field(m, r, col[11])[0])
        resolve(run->map_boundaries, sizeof run->map_boundaries, dir, field(m, r, col[11]));
    const char *wt = field(m, r, col[13]);
    if (wt[0] && strcmp(wt, "area") != 0 && strcmp(wt, "residents") != 0) {
        cli_error("'%s' line %zu (%s): zone_map_weight needs area or residents, not '%s'", mname, run->line, name, wt);
        return CLI_EXIT_DATA;
    }
    run->map_opts.by_residents = strcmp(wt, "residents") == 0;
    /* the shipped 2011 boundaries are generalised and the 2001 ones are
     * not: along shared lines they disagree by metres, so a zone whose
     * area outside its locality is a sliver of at most 10 m on average is
     * placed exactly (the label only; the locality is the one covering most
     * of it either way) */
    run->map_opts.sliver_m = 10;
    if (field(m, r, col[12])[0]) {
        char *end;
        run->map_opts.sliver_m = strtod(field(m, r, col[12]), &end);
        if (*end || !(run->map_opts.sliver_m >= 0 && run->map_opts.sliver_m <= 1000)) {
            cli_error("'%s' line %zu (%s): zone_map_sliver_m needs metres from 0 to 1000, not '%s'", mname, run->line,
                      name, field(m, r, col[12]));
            return CLI_EXIT_DATA;
        }
    }
    snprintf(run->map_from, sizeof run->map_from, "%s", field(m, r, col[9])[0] ? field(m, r, col[9]) : "");
    snprintf(run->map_to, sizeof run->map_to, "%s", field(m, r, col[10])[0] ? field(m, r, col[10]) : "");
    /* a row's folder lies inside the batch folder: a name, never a path
     * that could lead out of it */
    const char *o = field(m, r, col[6]);
    if (o[0] && (strchr(o, '/') || strchr(o, '\\') || !strcmp(o, ".") || !strcmp(o, ".."))) {
        cli_error("'%s' line %zu (%s): out must be a folder name inside the batch folder, not '%s'", mname, run->line,
                  name, o);
        return CLI_EXIT_USAGE;
    }
    snprintf(run->out, sizeof run->out, "%s/%s", out_root, o[0] ? o : name);
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
static int hold_pipeline(loc_ctx *ctx, batch_run *run, const char *hold, loc_carry_rule rule, FILE *summary)
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
        run->rc = bt->hold ? hold_pipeline(ctx, run, bt->hold, bt->rule, summary)
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

/* ---------------------------------------------------------------------
 * Comparison across releases (hold mode)
 * --------------------------------------------------------------------- */

/* The key indicators (the spec's role `key`, at most NKEY) of the first
 * release whose spec reads: comparison.csv's indicator columns, fixed
 * before any run starts so that each run keeps them as it finishes.  The
 * names are the spec's, which bt->kspec holds. */
static void key_indicators(loc_ctx *ctx, batch *bt)
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

/* comparison.csv from the releases kept in memory, and its summary. */
static int write_comparison(loc_ctx *ctx, const batch *bt, const char *out_root)
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
            printf("  %-10s %zu zone%s (%.0f residents) placed by most residents of their mapped zones, %zu (%.0f) not placed\n",
                   bt->runs[k].name, cs->most, cs->most == 1 ? "" : "s", cs->most_pop, cs->unplaced, cs->unplaced_pop);
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

/* The rows of manifest m (read from mpath) as runs into bt->runs: the
 * columns checked, every row read by read_row, names and folders unique.
 * Rows that cannot be read are reported and counted in *bad (with
 * bt->fail_fast the reading stops at the first).  Returns an exit status:
 * not OK when the manifest as a whole is unusable. */
static int manifest_runs(const loc_csv *m, const char *mpath, const char *out_root, batch *bt, size_t *bad)
{
    static const char *const cols[] = {"name",    "boundaries", "indicators", "spec",         "lookups",
                                       "options", "out",        "respect",    "zone_map",     "zone_map_from",
                                       "zone_map_to", "zone_map_boundaries", "zone_map_sliver_m",
                                       "zone_map_weight", "year"};
    long col[15];
    for (int k = 0; k < 15; k++) {
        col[k] = loc_csv_column(m, cols[k]);
        if (k < 4 && col[k] < 0) {
            cli_error("'%s': no column '%s' (a manifest needs name, boundaries, indicators and spec)", mpath, cols[k]);
            return CLI_EXIT_DATA;
        }
    }
    size_t nrows = loc_csv_nrows(m);
    if (!nrows || nrows > MAX_RUNS) {
        cli_error("'%s': %zu runs; a manifest holds 1 to %d", mpath, nrows, MAX_RUNS);
        return CLI_EXIT_DATA;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", mpath);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        dir[0] = 0;
    bt->runs = calloc(nrows, sizeof *bt->runs);
    if (!bt->runs) {
        cli_error("out of memory");
        return CLI_EXIT_DATA;
    }
    /* rows that cannot be read fail alone, before anything runs */
    for (size_t r = 0; r < nrows; r++) {
        batch_run *run = &bt->runs[bt->nruns];
        if (read_row(m, r, dir, out_root, col, run)) {
            (*bad)++;
            if (bt->fail_fast)
                break;
            continue;
        }
        for (size_t q = 0; q < bt->nruns; q++)
            if (strcmp(bt->runs[q].name, run->name) == 0) {
                cli_error("'%s' line %zu: the name '%s' is already used on line %zu", mpath, run->line, run->name,
                          bt->runs[q].line);
                run = NULL;
                break;
            } else if (strcmp(bt->runs[q].out, run->out) == 0) {
                /* two rows into one folder: the second would replace the first */
                cli_error("'%s' line %zu: the folder '%s' is already line %zu's", mpath, run->line, run->out,
                          bt->runs[q].line);
                run = NULL;
                break;
            }
        if (!run) {
            (*bad)++;
            continue;
        }
        bt->nruns++;
    }
    return CLI_EXIT_OK;
}

int cli_manifest_check(const char *name, const void *buf, size_t len, size_t *nruns)
{
    loc_ctx *ctx = loc_ctx_create(NULL);
    if (!ctx)
        return -1;
    loc_csv *m = loc_csv_parse(ctx, name, buf, len);
    batch bt = {0};
    size_t bad = 0;
    int rc = m ? manifest_runs(m, name, "out", &bt, &bad) : CLI_EXIT_DATA;
    *nruns = bt.nruns;
    /* every run's folder is a name inside the batch folder */
    for (size_t k = 0; k < bt.nruns; k++) {
        const char *o = bt.runs[k].out;
        if (strncmp(o, "out/", 4) || !o[4] || strchr(o + 4, '/') || !strcmp(o + 4, ".") || !strcmp(o + 4, ".."))
            rc = -2;
        for (size_t q = 0; q < k; q++)
            if (!strcmp(bt.runs[q].out, o))
                rc = -2;
    }
    free(bt.runs);
    loc_csv_destroy(m);
    loc_ctx_destroy(ctx);
    return rc;
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
    rc = manifest_runs(m, mpath, out_root, &bt, &bad);
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
        key_indicators(ctx, &bt);
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
    if (bt.hold && ok && write_comparison(ctx, &bt, out_root))
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

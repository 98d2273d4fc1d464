/*
 * The batch manifest read into runs: one row a run, columns by name
 * (name, boundaries, indicators, spec, lookups, respect, options, out,
 * year, zone_map and its companions), relative paths taken from the
 * manifest's folder, each run's folder confined to the batch folder and
 * never shared, every problem reported with its line.
 */
#include "batch.h"

#include "localities/progress.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* The rows of manifest m (read from mpath) as runs into bt->runs: the
 * columns checked, every row read by read_row, names and folders unique.
 * Rows that cannot be read are reported and counted in *bad (with
 * bt->fail_fast the reading stops at the first).  Returns an exit status:
 * not OK when the manifest as a whole is unusable. */
int batch_manifest_runs(const loc_csv *m, const char *mpath, const char *out_root, batch *bt, size_t *bad)
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
    int rc = m ? batch_manifest_runs(m, name, "out", &bt, &bad) : CLI_EXIT_DATA;
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


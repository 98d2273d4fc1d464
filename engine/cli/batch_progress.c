/*
 * The batch's progress step (`batch --hold-localities --targets`): the
 * targets file is checked against the held localities and every release's
 * spec before any run starts, so that a bad file is refused with nothing
 * written; after the runs, progress.csv is worked out from their own
 * outputs and its counts printed.  Kept out of cmd_batch.c, which only
 * calls in, so that the two can change apart.
 */
#include "cli.h"
#include "localities/writers.h"

#include "localities/progress.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct cli_targets {
    size_t n;
    loc_csv *held, *targets;
    loc_csv **spec;       /* per release */
    loc_progress *pr;
    int has_targets;
    const char **names;   /* the releases' names (the strings borrowed from the batch's runs) and years, */
    int *years;           /* for progress.html */
};

/* The indicator whose trends the summary counts: the first proportion of
 * the first release's spec with the role `key` (the first proportion when
 * no row has a role); NULL when there is none. */
static const char *trend_indicator(const cli_targets *cp)
{
    const loc_csv *s = cp->n ? cp->spec[0] : NULL;
    long cn = s ? loc_csv_column(s, "name") : -1, ct = s ? loc_csv_column(s, "type") : -1;
    long cr = s ? loc_csv_column(s, "role") : -1;
    if (cn < 0 || ct < 0)
        return NULL;
    const char *first = NULL;
    for (size_t r = 0; r < loc_csv_nrows(s); r++) {
        if (strcasecmp(loc_csv_field(s, r, (size_t)ct), "proportion") != 0)
            continue;
        const char *name = loc_csv_field(s, r, (size_t)cn);
        if (!first)
            first = name;
        if (cr >= 0 && strstr(loc_csv_field(s, r, (size_t)cr), "key"))
            return name;
    }
    return first;
}

void cli_progress_free(cli_targets *cp)
{
    if (!cp)
        return;
    for (size_t k = 0; cp->spec && k < cp->n; k++)
        loc_csv_destroy(cp->spec[k]);
    free(cp->spec);
    free(cp->years);
    free(cp->names);
    loc_progress_destroy(cp->pr);
    loc_csv_destroy(cp->held);
    loc_csv_destroy(cp->targets);
    free(cp);
}

int cli_progress_prepare(loc_ctx *ctx, int quiet, const char *hold, const char *targets, size_t n, const char *const *names,
                         const int *years, const char *const *specs, cli_targets **out)
{
    cli_targets *cp = calloc(1, sizeof *cp);
    loc_progress_release *rel = calloc(n ? n : 1, sizeof *rel);
    int rc = CLI_EXIT_DATA;
    *out = NULL;
    if (!cp || !rel || !(cp->spec = calloc(n ? n : 1, sizeof *cp->spec))) {
        cli_error("out of memory");
        goto done;
    }
    cp->n = n;
    for (size_t k = 0; k < n; k++) {
        if (years[k] < 0 && targets) {
            cli_error("release '%s' has no year: give the manifest a year column or a 4-digit year in its name",
                      names[k]);
            goto done;
        }
        if (years[k] < 0) { /* trends need the releases' order in time: none without years */
            if (!quiet)
                fprintf(stderr, CLI_PROG ": no progress.csv: release '%s' has no year (a manifest year column, or a "
                                "4-digit year in its name)\n", names[k]);
            rc = CLI_EXIT_OK;
            goto done;
        }
        if (!(cp->spec[k] = loc_csv_read(ctx, specs[k]))) {
            rc = cli_fail(ctx);
            goto done;
        }
        rel[k].name = names[k];
        rel[k].year = years[k];
        rel[k].spec = cp->spec[k];
    }
    if (!(cp->held = loc_csv_read(ctx, hold)) || (targets && !(cp->targets = loc_csv_read(ctx, targets))) ||
        !(cp->pr = loc_progress_create(ctx, rel, n, cp->held, cp->targets))) {
        rc = cli_fail(ctx);
        goto done;
    }
    cp->has_targets = targets != NULL;
    if (!(cp->years = malloc((n ? n : 1) * sizeof *cp->years)) || !(cp->names = malloc((n ? n : 1) * sizeof *cp->names))) {
        cli_error("out of memory");
        goto done;
    }
    memcpy(cp->years, years, n * sizeof *years);
    memcpy(cp->names, names, n * sizeof *names);
    *out = cp;
    cp = NULL;
    rc = CLI_EXIT_OK;
done:
    free(rel);
    cli_progress_free(cp);
    return rc;
}

int cli_progress_finish(loc_ctx *ctx, cli_targets *cp, const char *const *outs, const int *ok, const char *out_root)
{
    loc_csv **t = calloc(3 * cp->n + 1, sizeof *t);
    char path[4200];
    int rc = CLI_EXIT_DATA;
    if (!t) {
        cli_error("out of memory");
        return rc;
    }
    static const char *const files[3] = {"localities.csv", "indicators.csv", "carried.csv"};
    for (size_t k = 0; k < cp->n; k++) {
        if (!ok[k])
            continue;
        for (int q = 0; q < 3; q++) {
            snprintf(path, sizeof path, "%s/%s", outs[k], files[q]);
            if (!(t[3 * k + q] = loc_csv_read(ctx, path)))
                goto fail;
        }
        if (loc_progress_add_outputs(ctx, cp->pr, k, t[3 * k], t[3 * k + 1], t[3 * k + 2]))
            goto fail;
    }
    snprintf(path, sizeof path, "%s/progress.csv", out_root);
    if (loc_progress_finish(ctx, cp->pr) || loc_progress_write(ctx, cp->pr, path))
        goto fail;
    size_t st[8] = {0}, ntrend = 0;
    for (size_t i = 0; i < loc_progress_nrows(cp->pr); i++) {
        const loc_progress_row *w = loc_progress_row_get(cp->pr, i);
        if (w->is_trend)
            ntrend++;
        else
            st[w->status]++;
    }
    if (cp->has_targets)
        printf("\nprogress     %zu targets: %zu on track, %zu off track, %zu met, %zu too early, %zu cannot tell\n",
               loc_progress_nrows(cp->pr) - ntrend, st[LOC_PROG_ON_TRACK], st[LOC_PROG_OFF_TRACK], st[LOC_PROG_MET],
               st[LOC_PROG_TOO_EARLY], st[LOC_PROG_CANNOT_TELL]);
    else
        printf("\n");
    size_t c[4] = {0};
    const char *ti = trend_indicator(cp);
    if (ti)
        loc_progress_trend_counts(cp->pr, ti, 0, c);
    if (c[0] + c[1] + c[2] + c[3]) {
        printf("trends       %s gap to the rest of the council, first to last release (95%%, se of both): "
               "%zu narrowed, %zu widened, %zu held, %zu cannot tell\n", ti, c[0], c[1], c[2], c[3]);
        loc_progress_trend_counts(cp->pr, ti, 1, c);
        printf("  plan localities of the first release: %zu narrowed, %zu widened, %zu held, %zu cannot tell\n", c[0],
               c[1], c[2], c[3]);
    }
    if (!loc_progress_nrows(cp->pr)) {
        /* no targets and a single release that ran: no trend to draw, and
         * a table of no rows is not one to read back into a page */
        printf("progress     nothing to follow: no targets, and trends need two releases\n"
               "wrote        %s (its header only)\n",
               path);
        rc = CLI_EXIT_OK;
        goto done;
    }
    /* progress.html: the same rows drawn, a chart per target and trend */
    loc_csv *pt = loc_csv_read(ctx, path), *cmp = NULL;
    char html[4200];
    snprintf(html, sizeof html, "%s/comparison.csv", out_root);
    if (access(html, R_OK) == 0)
        cmp = loc_csv_read(ctx, html);
    snprintf(html, sizeof html, "%s/progress.html", out_root);
    if (!pt || loc_write_progress_report(ctx, pt, cmp, (const char *const *)cp->names, cp->years, cp->n, html)) {
        loc_csv_destroy(pt);
        loc_csv_destroy(cmp);
        goto fail;
    }
    loc_csv_destroy(pt);
    loc_csv_destroy(cmp);
    printf("wrote        %s and %s\n", path, html);
    rc = CLI_EXIT_OK;
    goto done;
fail:
    rc = cli_fail(ctx);
done:
    for (size_t k = 0; k < 3 * cp->n; k++)
        loc_csv_destroy(t[k]);
    free(t);
    return rc;
}

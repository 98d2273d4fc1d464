/*
 * The comparison of held localities across releases (see compare.h):
 * each release reduced to the few numbers per locality the table shows,
 * copied out of its assessment as it finishes so that nothing of its
 * inputs need stay in memory, then the table written from those copies.
 */
#include "localities/compare.h"
#include "localities/stats.h"
#include "localities/strmap.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Key indicators kept per release. */
#define MAX_KEY 8

typedef struct rel_row {
    const char *code, *name;   /* in the arena */
    int plan;
    size_t poorer[2], pdomains[2];
    double most, placed;       /* residents placed by most, and all placed */
    char est[MAX_KEY][32];     /* the key indicators' estimates as the tables print them ("" none) */
    const char *flag[MAX_KEY]; /* their flags against Scotland (static names; NULL none) */
} rel_row;

struct loc_release {
    loc_ctx *ctx;
    loc_arena *arena;
    char *name;
    size_t n, nkey;
    char key[MAX_KEY][128];    /* the key names the release was made with */
    rel_row *rows;
    loc_strmap *row;           /* code -> row */
};

void loc_release_destroy(loc_release *r)
{
    if (!r)
        return;
    loc_strmap_destroy(r->row);
    loc_arena_destroy(r->arena);
    loc_free(r->ctx, r->rows);
    loc_free(r->ctx, r->name);
    loc_free(r->ctx, r);
}

size_t loc_release_count(const loc_release *r) { return r->n; }

/* A number as indicators.csv prints it: 6 significant digits, no "-0",
 * nothing when not finite. */
static void fmt6(char *buf, size_t size, double v)
{
    if (!isfinite(v))
        buf[0] = 0;
    else
        snprintf(buf, size, "%.6g", v == 0 ? 0 : v);
}

/* Residents placed by most, and all placed, per locality. */
static void placed(loc_release *r, const loc_partition *p, const uint8_t *how)
{
    const loc_zones *z = loc_partition_zones(p);
    const double *pop = loc_zones_population(z);
    const int32_t *lab = loc_partition_labels(p);
    const uint32_t *rows = loc_zones_study_by_code(z);
    for (size_t s = 0; s < loc_zones_nstudy(z); s++) {
        size_t i = rows[s];
        if (lab[i] < 0 || isnan(pop[i]))
            continue;
        r->rows[lab[i]].placed += pop[i];
        if (how && how[i] == LOC_PLACED_MOST)
            r->rows[lab[i]].most += pop[i];
    }
}

/* Indicator index of name in the release's zone table, or -1. */
static long indicator_of(const loc_zones *z, const char *name)
{
    for (size_t j = 0; j < loc_zones_nindicators(z); j++)
        if (strcmp(loc_zones_indicator(z, j)->name, name) == 0)
            return (long)j;
    return -1;
}

loc_release *loc_release_create(loc_ctx *ctx, const char *name, const loc_partition *p, const loc_assess *as,
                                const uint8_t *how, const char *const *key, size_t nkey)
{
    loc_clear_error(ctx);
    if (nkey > MAX_KEY) {
        loc_error(ctx, LOC_EINVAL, "at most %d key indicators can be compared", MAX_KEY);
        return NULL;
    }
    loc_release *r = loc_calloc(ctx, 1, sizeof *r);
    if (!r)
        return NULL;
    r->ctx = ctx;
    r->n = loc_partition_count(p);
    r->nkey = nkey;
    if (!(r->name = loc_strdup(ctx, name)) || !(r->arena = loc_arena_create(ctx)) ||
        !(r->rows = loc_calloc(ctx, r->n ? r->n : 1, sizeof *r->rows)) ||
        !(r->row = loc_strmap_create(ctx, r->n + 1)))
        goto fail;
    const loc_zones *z = loc_partition_zones(p);
    long kj[MAX_KEY];
    for (size_t q = 0; q < nkey; q++) {
        snprintf(r->key[q], sizeof r->key[q], "%s", key[q]);
        kj[q] = indicator_of(z, key[q]);
    }
    for (size_t k = 0; k < r->n; k++) {
        rel_row *w = &r->rows[k];
        if (!(w->code = loc_arena_strdup(r->arena, loc_partition_code(p, k))) ||
            !(w->name = loc_arena_strdup(r->arena, loc_partition_name(p, k))) ||
            loc_strmap_put(r->row, w->code, (long)k, NULL))
            goto fail;
        w->plan = loc_assess_qualifies(as, k);
        for (int c = 0; c < 2; c++) {
            w->poorer[c] = loc_assess_poorer(as, k, (loc_comparator)c);
            w->pdomains[c] = loc_assess_poorer_domains(as, k, (loc_comparator)c);
        }
        for (size_t q = 0; q < nkey; q++) {
            if (kj[q] < 0)
                continue;
            const loc_assess_cell *cell = loc_assess_cell_get(as, k, (size_t)kj[q], LOC_CMP_SCOTLAND);
            fmt6(w->est[q], sizeof w->est[q], cell->est.est);
            w->flag[q] = loc_stats_flag_name(cell->flag);
        }
    }
    placed(r, p, how);
    return r;
fail:
    loc_release_destroy(r);
    if (!loc_errcode(ctx))
        loc_error(ctx, LOC_ENOMEM, "out of memory");
    return NULL;
}

const char *loc_course_name(loc_course c)
{
    return c == LOC_COURSE_PERSISTENT ? "persistently_poorer" : c == LOC_COURSE_CHANGED ? "changed" : "never";
}

/* The header: the releases' columns side by side. */
static int put_header(FILE *f, const loc_release *const *rel, size_t n, const char *const *key, size_t nkey)
{
    int bad = fputs("locality_code,locality_name", f) == EOF;
    for (size_t k = 0; k < n; k++) {
        const char *r = rel[k]->name;
        bad |= loc_fprintf(f, ",%s_plan_required,%s_poorer_council_rest,%s_poorer_scotland,%s_poorer_domains_council_rest,"
                          "%s_poorer_domains_scotland,%s_placed_by_most",
                       r, r, r, r, r, r) < 0;
        for (size_t q = 0; q < nkey; q++)
            bad |= loc_fprintf(f, ",%s_%s,%s_%s_flag_scotland", r, key[q], r, key[q]) < 0;
    }
    return bad | (fputs(",status\n", f) == EOF);
}

/* Release r's cells for code (empty when it lacks the locality); its plan
 * flag, or -1. */
static int put_cells(FILE *f, const loc_release *r, const char *code, int *bad)
{
    long k = loc_strmap_get(r->row, code);
    if (k < 0) {
        *bad |= fputs(",,,,,,", f) == EOF;
        for (size_t q = 0; q < r->nkey; q++)
            *bad |= fputs(",,", f) == EOF;
        return -1;
    }
    const rel_row *w = &r->rows[k];
    *bad |= loc_fprintf(f, ",%d,%zu,%zu,%zu,%zu,", w->plan, w->poorer[0], w->poorer[1], w->pdomains[0], w->pdomains[1]) < 0;
    if (w->placed > 0)
        *bad |= loc_fprintf(f, "%.4g", w->most / w->placed) < 0;
    for (size_t q = 0; q < r->nkey; q++)
        *bad |= loc_fprintf(f, ",%s,%s", w->flag[q] ? w->est[q] : "", w->flag[q] ? w->flag[q] : "") < 0;
    return w->plan;
}

/* name appended to a ", "-separated list, when it fits. */
static void list_add(char *list, size_t size, const char *name)
{
    size_t len = strlen(list);
    if (len + strlen(name) + 4 < size)
        snprintf(list + len, size - len, "%s%s", len ? ", " : "", name);
}

loc_status loc_compare_write_csv(loc_ctx *ctx, const loc_release *const *rel, size_t n, const char *const *key,
                                 size_t nkey, const char *path, loc_compare_summary *sum)
{
    loc_clear_error(ctx);
    for (size_t k = 0; k < n; k++) {
        int same = rel[k]->nkey == nkey;
        for (size_t q = 0; same && q < nkey; q++)
            same = strcmp(rel[k]->key[q], key[q]) == 0;
        if (!same)
            return loc_error(ctx, LOC_EINVAL, "release '%s' was kept with other key indicators", rel[k]->name);
    }
    loc_compare_summary local;
    if (!sum)
        sum = &local;
    memset(sum, 0, sizeof *sum);
    loc_strmap *seen = loc_strmap_create(ctx, 1024);
    if (!seen)
        return LOC_ENOMEM;
    loc_afile af;
    loc_status st = loc_afile_open(ctx, &af, path);
    if (!st && put_header(af.f, rel, n, key, nkey))
        st = loc_afile_failed(ctx, &af);
    /* every locality once, in the order of first appearance */
    for (size_t k0 = 0; k0 < n && !st; k0++)
        for (size_t i = 0; i < rel[k0]->n && !st; i++) {
            const rel_row *w = &rel[k0]->rows[i];
            long have;
            if ((st = loc_strmap_put(seen, w->code, 0, &have)) || have >= 0)
                continue;
            int bad = loc_put_csv_field(af.f, w->code) == EOF || fputc(',', af.f) == EOF ||
                      loc_put_csv_field(af.f, w->name) == EOF;
            int yes = 0, no = 0;
            for (size_t k = 0; k < n; k++) {
                int plan = put_cells(af.f, rel[k], w->code, &bad);
                yes += plan == 1;
                no += plan == 0;
            }
            loc_course c = yes && !no ? LOC_COURSE_PERSISTENT : yes ? LOC_COURSE_CHANGED : LOC_COURSE_NEVER;
            bad |= loc_fprintf(af.f, ",%s\n", loc_course_name(c)) < 0;
            if (bad)
                st = loc_afile_failed(ctx, &af);
            sum->localities++;
            sum->count[c]++;
            list_add(sum->names[c], sizeof sum->names[c], w->name);
        }
    loc_strmap_destroy(seen);
    return loc_afile_close(ctx, &af, st);
}

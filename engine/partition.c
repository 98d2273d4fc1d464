/*
 * Partition: zones -> localities, shared by the builder, `assess`, the
 * statistics and the writers.  Holds per-row labels and, per locality, its
 * code, name, council, population and member rows in compressed sparse
 * rows, so that every later stage can walk a locality's zones without
 * scanning the table.
 */
#include "localities/partition.h"
#include "localities/strmap.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct loc_partition {
    loc_ctx *ctx;
    const loc_zones *z;
    size_t n;            /* zone rows */
    size_t nloc;         /* localities */
    int32_t *label;      /* per row */
    size_t *start;       /* nloc + 1 offsets into members */
    uint32_t *members;   /* rows, grouped by locality, in zone-code order within */
    const char **codes;  /* per locality, in strings */
    const char **names;
    int32_t *council;    /* per locality, -1 when several or none */
    uint32_t *ncouncils; /* per locality: distinct councils */
    double *pop;
    size_t unassigned;
    loc_strmap *index;   /* code -> locality */
    loc_arena *strings;
};

void loc_partition_destroy(loc_partition *p)
{
    if (!p)
        return;
    loc_ctx *ctx = p->ctx;
    loc_free(ctx, p->label);
    loc_free(ctx, p->start);
    loc_free(ctx, p->members);
    loc_free(ctx, p->codes);
    loc_free(ctx, p->names);
    loc_free(ctx, p->council);
    loc_free(ctx, p->ncouncils);
    loc_free(ctx, p->pop);
    loc_strmap_destroy(p->index);
    loc_arena_destroy(p->strings);
    loc_free(ctx, p);
}

/* Check the labels against the table: in range, and only on study rows. */
static loc_status check_labels(loc_ctx *ctx, const loc_zones *z, const int32_t *label, size_t nloc)
{
    for (size_t i = 0; i < loc_zones_count(z); i++) {
        if (label[i] < -1 || (label[i] >= 0 && (size_t)label[i] >= nloc))
            return loc_error(ctx, LOC_EINVAL, "zone '%s': locality %ld out of range (%zu localities)",
                             loc_zones_code(z, i), (long)label[i], nloc);
        if (label[i] >= 0 && !loc_zones_in_study(z, i))
            return loc_error(ctx, LOC_EINVAL, "zone '%s' is outside the study area but given locality %ld",
                             loc_zones_code(z, i), (long)label[i]);
    }
    return LOC_OK;
}

/* Members by counting sort; councils and population per locality. */
static loc_status fill_members(loc_partition *p)
{
    loc_ctx *ctx = p->ctx;
    const int32_t *council = loc_zones_councils(p->z);
    const double *pop = loc_zones_population(p->z);
    size_t nl = p->nloc ? p->nloc : 1;
    if (!(p->start = loc_calloc(ctx, p->nloc + 1, sizeof *p->start)) ||
        !(p->members = loc_malloc(ctx, (p->n ? p->n : 1) * sizeof *p->members)) ||
        !(p->council = loc_malloc(ctx, nl * sizeof *p->council)) ||
        !(p->ncouncils = loc_calloc(ctx, nl, sizeof *p->ncouncils)) || !(p->pop = loc_calloc(ctx, nl, sizeof *p->pop)))
        return LOC_ENOMEM;
    for (size_t i = 0; i < p->n; i++) {
        if (p->label[i] >= 0)
            p->start[p->label[i] + 1]++;
        else if (loc_zones_in_study(p->z, i))
            p->unassigned++;
    }
    for (size_t k = 0; k < p->nloc; k++) {
        if (p->start[k + 1] == 0)
            return loc_error(ctx, LOC_EINVAL, "locality '%s' has no zones", p->codes[k]);
        p->start[k + 1] += p->start[k];
        p->council[k] = -2; /* none seen yet */
    }
    size_t *fill = loc_malloc(ctx, nl * sizeof *fill);
    if (!fill)
        return LOC_ENOMEM;
    memcpy(fill, p->start, p->nloc * sizeof *fill);
    /* members in zone-code order, so that their sums do not follow the
     * order the sources stored the zones in */
    const uint32_t *order = loc_zones_rows_by_code(p->z);
    for (size_t r = 0; r < p->n; r++) {
        size_t i = order[r];
        int32_t k = p->label[i];
        if (k < 0)
            continue;
        p->members[fill[k]++] = (uint32_t)i;
        if (!isnan(pop[i]))
            p->pop[k] += pop[i];
    }
    loc_free(ctx, fill);
    /* distinct councils, "none" (-1) counting as one: a stamp per council
     * (a locality may span any number of them, a lookup's for example) */
    size_t nc = loc_zones_ncouncils(p->z) + 1;
    size_t *stamp = loc_calloc(ctx, nc, sizeof *stamp);
    if (!stamp)
        return LOC_ENOMEM;
    for (size_t k = 0; k < p->nloc; k++) {
        int32_t first = -1;
        for (size_t m = p->start[k]; m < p->start[k + 1]; m++) {
            int32_t c = council[p->members[m]];
            size_t slot = c >= 0 && (size_t)c + 1 < nc ? (size_t)c + 1 : 0;
            if (stamp[slot] != k + 1) {
                stamp[slot] = k + 1;
                if (!p->ncouncils[k]++)
                    first = c;
            }
        }
        p->council[k] = p->ncouncils[k] == 1 && first >= 0 ? first : -1;
    }
    loc_free(ctx, stamp);
    return LOC_OK;
}

static loc_partition *part_new(loc_ctx *ctx, const loc_zones *z, size_t nloc)
{
    loc_partition *p = loc_calloc(ctx, 1, sizeof *p);
    if (!p)
        return NULL;
    p->ctx = ctx;
    p->z = z;
    p->n = loc_zones_count(z);
    p->nloc = nloc;
    size_t nl = nloc ? nloc : 1;
    if (!(p->label = loc_malloc(ctx, (p->n ? p->n : 1) * sizeof *p->label)) ||
        !(p->codes = loc_calloc(ctx, nl, sizeof *p->codes)) || !(p->names = loc_calloc(ctx, nl, sizeof *p->names)) ||
        !(p->strings = loc_arena_create(ctx)) || !(p->index = loc_strmap_create(ctx, nl))) {
        loc_partition_destroy(p);
        return NULL;
    }
    return p;
}

/* Store locality k's code and name; a repeated code is an error. */
static loc_status set_locality(loc_partition *p, size_t k, const char *code, const char *name)
{
    long have;
    if (!(p->codes[k] = loc_arena_strdup(p->strings, code)) ||
        !(p->names[k] = loc_arena_strdup(p->strings, name ? name : "")) ||
        loc_strmap_put(p->index, p->codes[k], (long)k, &have))
        return LOC_ENOMEM;
    if (have >= 0)
        return loc_error(p->ctx, LOC_EINVAL, "locality code '%s' given twice", code);
    return LOC_OK;
}

loc_partition *loc_partition_create(loc_ctx *ctx, const loc_zones *z, const int32_t *label, size_t nloc,
                                    const char *const *codes, const char *const *names)
{
    if (!z || !label || (nloc && !codes)) {
        loc_error(ctx, LOC_EINVAL, "partition: missing zones, labels or codes");
        return NULL;
    }
    if (check_labels(ctx, z, label, nloc))
        return NULL;
    loc_partition *p = part_new(ctx, z, nloc);
    if (!p)
        return NULL;
    memcpy(p->label, label, p->n * sizeof *label);
    for (size_t k = 0; k < nloc; k++)
        if (set_locality(p, k, codes[k], names ? names[k] : NULL))
            goto fail;
    if (fill_members(p))
        goto fail;
    return p;
fail:
    loc_partition_destroy(p);
    return NULL;
}

/* Up to `max` codes of study zones the lookup leaves out, for the warning. */
static void report_unlisted(loc_ctx *ctx, const loc_zones *z, const loc_grouping *g)
{
    char msg[900];
    size_t len = 0, shown = 0;
    len += (size_t)snprintf(msg, sizeof msg, "'%s': %zu study zone%s not listed, left out of every locality:",
                            g->label, g->unlisted, g->unlisted == 1 ? "" : "s");
    for (size_t i = 0; i < loc_zones_count(z) && shown < 10; i++) {
        if (!loc_zones_in_study(z, i) || g->member[i] >= 0)
            continue;
        if (len < sizeof msg)
            len += (size_t)snprintf(msg + len, sizeof msg - len, "%s %s", shown ? "," : "", loc_zones_code(z, i));
        shown++;
    }
    if (g->unlisted > shown && len < sizeof msg)
        snprintf(msg + len, sizeof msg - len, " and %zu more", g->unlisted - shown);
    loc_report(ctx, LOC_WARN, "%s", msg);
}

/* The locality column: the one named, else the first after the zone column
 * (NULL when there is none). */
static const char *locality_column(const loc_lookup *lookup, const char *column)
{
    if (column)
        return column;
    long zc = loc_lookup_col(lookup, loc_lookup_zone_column(lookup));
    for (size_t c = 0; c < loc_lookup_ncols(lookup); c++)
        if ((long)c != zc)
            return loc_lookup_col_name(lookup, c);
    return NULL;
}

/* Codes for a message: the first ten, then how many more. */
typedef struct codelist {
    char buf[800];
    size_t len, n;
} codelist;

static void codelist_add(codelist *c, const char *code)
{
    if (c->n++ < 10 && c->len < sizeof c->buf)
        c->len += (size_t)snprintf(c->buf + c->len, sizeof c->buf - c->len, "%s'%s'", c->n > 1 ? ", " : "", code);
}

static const char *codelist_text(codelist *c)
{
    if (c->n > 10 && c->len < sizeof c->buf)
        snprintf(c->buf + c->len, sizeof c->buf - c->len, " and %zu more", c->n - 10);
    return c->buf;
}

/* The locality codes of the lookup that hold at least one zone known to
 * the run (boundaries or indicators); NULL on failure. */
static loc_strmap *localities_with_known_zones(loc_ctx *ctx, const loc_zones *z, const loc_lookup *lookup, size_t col)
{
    loc_strmap *m = loc_strmap_create(ctx, loc_lookup_nrows(lookup) + 1);
    for (size_t r = 0; m && r < loc_lookup_nrows(lookup); r++) {
        const char *zone = loc_lookup_row_zone(lookup, r), *loc = loc_lookup_row_get(lookup, r, col);
        if (zone && *zone && loc && *loc && loc_zones_find(z, zone) >= 0 && loc_strmap_put(m, loc, 1, NULL)) {
            loc_strmap_destroy(m);
            return NULL;
        }
    }
    return m;
}

loc_status loc_partition_check_lookup(loc_ctx *ctx, const loc_zones *z, const loc_lookup *lookup,
                                      const char *column, const loc_partition *p, int strict)
{
    column = locality_column(lookup, column);
    long col = column ? loc_lookup_col(lookup, column) : -1;
    if (col < 0)
        return LOC_OK; /* reading the localities has said so */
    codelist unknown = {0}, absent = {0}, gone = {0};
    loc_strmap *seen = loc_strmap_create(ctx, loc_lookup_nrows(lookup) + 1);
    loc_strmap *known = seen ? localities_with_known_zones(ctx, z, lookup, (size_t)col) : NULL;
    if (!known) {
        loc_strmap_destroy(seen);
        return loc_errcode(ctx);
    }
    size_t first_line = 0;
    for (size_t r = 0; r < loc_lookup_nrows(lookup); r++) {
        const char *zone = loc_lookup_row_zone(lookup, r), *loc = loc_lookup_row_get(lookup, r, (size_t)col);
        if (!zone || !*zone || !loc || !*loc)
            continue;
        long i = loc_zones_find(z, zone);
        if (i < 0) {
            if (!unknown.n)
                first_line = loc_lookup_row_line(lookup, r);
            codelist_add(&unknown, zone);
        } else if (loc_zones_boundary(z, (size_t)i) < 0 && !loc_zones_in_study(z, (size_t)i) && p &&
                   loc_partition_find(p, loc) >= 0) {
            codelist_add(&absent, zone);
        }
        /* a locality whose zones are all unknown: named once */
        long was = 0;
        if (loc_strmap_get(known, loc) < 0 && loc_strmap_put(seen, loc, 1, &was) == LOC_OK && was < 0)
            codelist_add(&gone, loc);
    }
    loc_strmap_destroy(known);
    loc_strmap_destroy(seen);
    char tail[900] = "";
    if (gone.n)
        snprintf(tail, sizeof tail, "; locality %s %s no other zone and %s left out", codelist_text(&gone),
                 gone.n == 1 ? "has" : "have", gone.n == 1 ? "is" : "are");
    if (unknown.n && strict)
        return loc_error(ctx, LOC_EDATA,
                         "'%s' line %zu: %zu zone%s in neither the boundaries nor the indicators: %s%s (--strict)",
                         loc_lookup_path(lookup), first_line, unknown.n, unknown.n == 1 ? "" : "s",
                         codelist_text(&unknown), tail);
    if (unknown.n)
        loc_report(ctx, LOC_WARN, "'%s': %zu zone%s in neither the boundaries nor the indicators, left out: %s%s",
                   loc_lookup_path(lookup), unknown.n, unknown.n == 1 ? "" : "s", codelist_text(&unknown), tail);
    if (absent.n)
        loc_report(ctx, LOC_WARN,
                   "'%s': %zu zone%s of the study's localities %s not in the boundaries, left out of %s: %s",
                   loc_lookup_path(lookup), absent.n, absent.n == 1 ? "" : "s", absent.n == 1 ? "is" : "are",
                   absent.n == 1 ? "its locality" : "their localities", codelist_text(&absent));
    return LOC_OK;
}

loc_partition *loc_partition_from_lookup(loc_ctx *ctx, const loc_zones *z, const loc_lookup *lookup,
                                         const char *column)
{
    column = locality_column(lookup, column);
    {
        if (!column) {
            loc_error(ctx, LOC_EDATA, "'%s': no locality column beside the zone column", loc_lookup_path(lookup));
            return NULL;
        }
    }
    loc_grouping *g = loc_zones_grouping(ctx, z, lookup, column);
    if (!g)
        return NULL;
    loc_partition *p = NULL;
    /* groups of study zones only, renumbered in order of first appearance */
    int32_t *map = loc_malloc(ctx, (g->ngroups ? g->ngroups : 1) * sizeof *map);
    if (!map)
        goto done;
    for (size_t k = 0; k < g->ngroups; k++)
        map[k] = -1;
    size_t nloc = 0, listed = 0;
    for (size_t i = 0; i < loc_zones_count(z); i++)
        if (loc_zones_in_study(z, i) && g->member[i] >= 0) {
            listed++;
            if (map[g->member[i]] < 0)
                map[g->member[i]] = (int32_t)nloc++;
        }
    if (!listed) {
        loc_error(ctx, LOC_EDATA, "'%s': lists none of the %zu study zones", g->label, loc_zones_nstudy(z));
        goto done;
    }
    if (!(p = part_new(ctx, z, nloc)))
        goto done;
    for (size_t i = 0; i < p->n; i++)
        p->label[i] = loc_zones_in_study(z, i) && g->member[i] >= 0 ? map[g->member[i]] : -1;
    for (size_t k = 0; k < g->ngroups; k++)
        if (map[k] >= 0 && set_locality(p, (size_t)map[k], g->codes[k], g->names[k]))
            goto fail;
    if (fill_members(p))
        goto fail;
    if (g->unlisted)
        report_unlisted(ctx, z, g);
    goto done;
fail:
    loc_partition_destroy(p);
    p = NULL;
done:
    loc_free(ctx, map);
    loc_grouping_destroy(g);
    return p;
}

const loc_zones *loc_partition_zones(const loc_partition *p) { return p->z; }
size_t loc_partition_count(const loc_partition *p) { return p->nloc; }
const int32_t *loc_partition_labels(const loc_partition *p) { return p->label; }
size_t loc_partition_unassigned(const loc_partition *p) { return p->unassigned; }
long loc_partition_find(const loc_partition *p, const char *code) { return loc_strmap_get(p->index, code); }
const char *loc_partition_code(const loc_partition *p, size_t k) { return p->codes[k]; }
const char *loc_partition_name(const loc_partition *p, size_t k) { return p->names[k]; }
int32_t loc_partition_council(const loc_partition *p, size_t k) { return p->council[k]; }
double loc_partition_population(const loc_partition *p, size_t k) { return p->pop[k]; }
size_t loc_partition_ncouncils_of(const loc_partition *p, size_t k) { return p->ncouncils[k]; }

const uint32_t *loc_partition_members(const loc_partition *p, size_t k, size_t *n)
{
    *n = p->start[k + 1] - p->start[k];
    return p->members + p->start[k];
}

/* ",POPULATION\n" (empty when missing) ending a zone's line; EOF on error. */
int loc_put_pop_eol(FILE *f, double pop)
{
    return (isnan(pop) ? fputs(",\n", f) : loc_fprintf(f, ",%.15g\n", pop)) < 0 ? EOF : 0;
}

loc_status loc_partition_write_zones_csv(loc_ctx *ctx, const loc_partition *p, const char *path)
{
    loc_afile af;
    loc_status st = loc_afile_open(ctx, &af, path);
    if (st)
        return st;
    const loc_zones *z = p->z;
    const int32_t *council = loc_zones_councils(z);
    const double *pop = loc_zones_population(z);
    size_t ns = loc_zones_nstudy(z);
    const uint32_t *rows = loc_zones_study_by_code(z);
    if (fputs("zone_code,locality_code,locality_name,council_code,population\n", af.f) == EOF)
        st = loc_afile_failed(ctx, &af);
    for (size_t s = 0; s < ns && !st; s++) {
        size_t i = rows[s];
        int32_t k = p->label[i];
        const char *cc = council[i] >= 0 ? loc_zones_council_code(z, (size_t)council[i]) : "";
        if (loc_put_csv_field(af.f, loc_zones_code(z, i)) == EOF || fputc(',', af.f) == EOF ||
            loc_put_csv_field(af.f, k >= 0 ? p->codes[k] : "") == EOF || fputc(',', af.f) == EOF ||
            loc_put_csv_field(af.f, k >= 0 ? p->names[k] : "") == EOF || fputc(',', af.f) == EOF ||
            loc_put_csv_field(af.f, cc) == EOF || loc_put_pop_eol(af.f, pop[i]))
            st = loc_afile_failed(ctx, &af);
    }
    return loc_afile_close(ctx, &af, st);
}

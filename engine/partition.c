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
static int put_pop_eol(FILE *f, double pop)
{
    return (isnan(pop) ? fputs(",\n", f) : fprintf(f, ",%.15g\n", pop)) < 0 ? EOF : 0;
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
            loc_put_csv_field(af.f, cc) == EOF || put_pop_eol(af.f, pop[i]))
            st = loc_afile_failed(ctx, &af);
    }
    return loc_afile_close(ctx, &af, st);
}

/* ---------------------------------------------------------------------
 * Carrying held localities across releases
 * --------------------------------------------------------------------- */

/* Column of a CSV by name, or an error naming the file. */
static long need_col(loc_ctx *ctx, const loc_csv *c, const char *name)
{
    long k = loc_csv_column(c, name);
    if (k < 0)
        loc_error(ctx, LOC_EDATA, "'%s': no column '%s'", loc_csv_name(c), name);
    return k;
}

/* One (zone row, held locality) pair of the zone lookup. */
typedef struct carry_pair {
    uint32_t row;
    int32_t loc;
    double w; /* the held zone's residents estimated to live in this row's zone */
} carry_pair;

static int cmp_pair(const void *a, const void *b)
{
    const carry_pair *x = a, *y = b;
    if (x->row != y->row)
        return x->row < y->row ? -1 : 1;
    return (x->loc > y->loc) - (x->loc < y->loc);
}

/* Place each study zone from its lookup pairs (sorted by row, then
 * locality): label and how per row.  Under MOST the locality with the
 * largest weight wins; equal weights (to one part in a billion) are a tie. */
static void place_by_pairs(const carry_pair *pr, size_t np, loc_carry_rule rule, int32_t *label, uint8_t *how)
{
    for (size_t i = 0; i < np;) {
        size_t j = i;
        while (j < np && pr[j].row == pr[i].row)
            j++;
        /* the run pr[i..j) is one row's pairs, grouped by locality */
        int32_t best = -1;
        double best_w = -1, second_w = -1;
        size_t distinct = 0;
        for (size_t a = i; a < j;) {
            double w = 0;
            size_t b = a;
            for (; b < j && pr[b].loc == pr[a].loc; b++)
                w += pr[b].w;
            distinct++;
            if (w > best_w) {
                second_w = best_w;
                best_w = w;
                best = pr[a].loc;
            } else if (w > second_w) {
                second_w = w;
            }
            a = b;
        }
        uint32_t row = pr[i].row;
        if (distinct == 1) {
            label[row] = best;
            how[row] = LOC_PLACED_EXACT;
        } else if (rule == LOC_CARRY_MOST && best_w - second_w > 1e-9 * best_w) {
            label[row] = best;
            how[row] = LOC_PLACED_MOST;
        } else {
            how[row] = LOC_PLACED_TIE;
        }
        i = j;
    }
}

/* The (row, locality) pairs of the zone lookup whose both ends are known,
 * each weighted by the held zone's residents (held_pop, or 1 each when
 * held gives none) shared equally among the zones that map to it; a
 * held zone with no residents weighs next to nothing but still counts. */
static carry_pair *map_pairs(loc_ctx *ctx, const loc_zones *z, const loc_csv *map, long mf, long mt,
                             const loc_strmap *zone_row, const int32_t *hloc, const double *held_pop, size_t nheld,
                             size_t *np)
{
    size_t nr = loc_csv_nrows(map), n = 0;
    carry_pair *pr = loc_malloc(ctx, (nr ? nr : 1) * sizeof *pr);
    uint32_t *held_row = loc_malloc(ctx, (nr ? nr : 1) * sizeof *held_row);
    size_t *sharers = loc_calloc(ctx, nheld ? nheld : 1, sizeof *sharers);
    if (!pr || !held_row || !sharers) {
        loc_free(ctx, pr);
        pr = NULL;
        goto done;
    }
    for (size_t r = 0; r < nr; r++) {
        long hr = loc_strmap_get(zone_row, loc_csv_field(map, r, (size_t)mt));
        if (hr < 0 || hloc[hr] < 0)
            continue;
        size_t h = (size_t)hr;
        sharers[h]++; /* every zone mapping to it shares it, study zone or not */
        long row = loc_zones_find(z, loc_csv_field(map, r, (size_t)mf));
        if (row < 0 || !loc_zones_in_study(z, (size_t)row))
            continue;
        held_row[n] = (uint32_t)h;
        pr[n++] = (carry_pair){(uint32_t)row, hloc[h], 0};
    }
    for (size_t i = 0; i < n; i++) {
        double hp = held_pop[held_row[i]];
        pr[i].w = (hp > 0 ? hp : 1e-9) / (double)sharers[held_row[i]];
    }
    qsort(pr, n, sizeof *pr, cmp_pair);
    *np = n;
done:
    loc_free(ctx, held_row);
    loc_free(ctx, sharers);
    return pr;
}

loc_partition *loc_partition_carry(loc_ctx *ctx, const loc_zones *z, const loc_csv *held, const loc_csv *map,
                                   const char *from_col, const char *to_col, loc_carry_rule rule,
                                   loc_carry_stats *stats, uint8_t *how)
{
    long hz = need_col(ctx, held, "zone_code"), hl = hz >= 0 ? need_col(ctx, held, "locality_code") : -1;
    long hn = loc_csv_column(held, "locality_name"), mf = -1, mt = -1;
    if (hl < 0)
        return NULL;
    if (map && ((mf = need_col(ctx, map, from_col)) < 0 || (mt = need_col(ctx, map, to_col)) < 0))
        return NULL;
    size_t nh = loc_csv_nrows(held), nrows = loc_zones_count(z);
    long hp = loc_csv_column(held, "population");
    loc_strmap *zone_row = loc_strmap_create(ctx, nh), *loc_index = loc_strmap_create(ctx, 256);
    int32_t *label = loc_malloc(ctx, (nrows ? nrows : 1) * sizeof *label);
    int32_t *hloc = loc_malloc(ctx, (nh ? nh : 1) * sizeof *hloc);
    double *hpop = loc_malloc(ctx, (nh ? nh : 1) * sizeof *hpop);
    uint8_t *hw = loc_calloc(ctx, nrows ? nrows : 1, 1);
    const char **codes = loc_calloc(ctx, nh ? nh : 1, sizeof *codes), **names = loc_calloc(ctx, nh ? nh : 1, sizeof *names);
    loc_partition *out = NULL;
    size_t nloc = 0;
    if (!zone_row || !loc_index || !label || !hloc || !hpop || !hw || !codes || !names)
        goto done;
    /* held: zone -> row, row -> locality index and residents (1 each
     * when held has no population column, so that counts decide) */
    for (size_t r = 0; r < nh; r++) {
        const char *lc = loc_csv_field(held, r, (size_t)hl);
        hloc[r] = -1;
        hpop[r] = 1;
        if (hp >= 0 && (loc_parse_number(loc_csv_field(held, r, (size_t)hp), &hpop[r]) != LOC_NUM_OK ||
                        !(hpop[r] >= 0)))
            hpop[r] = 0;
        if (loc_strmap_put(zone_row, loc_csv_field(held, r, (size_t)hz), (long)r, NULL))
            goto done;
        if (!lc[0])
            continue; /* a zone the held run left out */
        long k = loc_strmap_get(loc_index, lc);
        if (k < 0) {
            k = (long)nloc;
            codes[nloc] = lc;
            names[nloc] = hn >= 0 ? loc_csv_field(held, r, (size_t)hn) : "";
            if (loc_strmap_put(loc_index, lc, k, NULL))
                goto done;
            nloc++;
        }
        hloc[r] = (int32_t)k;
    }
    for (size_t i = 0; i < nrows; i++) {
        label[i] = -1;
        hw[i] = loc_zones_in_study(z, i) ? LOC_PLACED_NONE : LOC_PLACED_NOT_STUDY;
    }
    if (!map) {
        for (size_t i = 0; i < nrows; i++) {
            long r = hw[i] == LOC_PLACED_NONE ? loc_strmap_get(zone_row, loc_zones_code(z, i)) : -1;
            if (r >= 0 && hloc[r] >= 0) {
                label[i] = hloc[r];
                hw[i] = LOC_PLACED_EXACT;
            }
        }
    } else {
        size_t np;
        carry_pair *pr = map_pairs(ctx, z, map, mf, mt, zone_row, hloc, hpop, nh, &np);
        if (!pr)
            goto done;
        place_by_pairs(pr, np, rule, label, hw);
        loc_free(ctx, pr);
    }
    /* drop localities that received no zone, renumbering the rest */
    int32_t *renum = loc_malloc(ctx, (nloc ? nloc : 1) * sizeof *renum);
    size_t *count = loc_calloc(ctx, nloc ? nloc : 1, sizeof *count);
    if (!renum || !count) {
        loc_free(ctx, renum);
        loc_free(ctx, count);
        goto done;
    }
    for (size_t i = 0; i < nrows; i++)
        if (label[i] >= 0)
            count[label[i]]++;
    size_t kept = 0, dropped = 0;
    const char *first_dropped = NULL;
    for (size_t k = 0; k < nloc; k++) {
        if (!count[k] && !dropped++)
            first_dropped = codes[k];
        renum[k] = count[k] ? (int32_t)kept : -1;
        if (count[k]) {
            codes[kept] = codes[k];
            names[kept] = names[k];
            kept++;
        }
    }
    for (size_t i = 0; i < nrows; i++)
        if (label[i] >= 0)
            label[i] = renum[label[i]];
    loc_free(ctx, renum);
    loc_free(ctx, count);
    loc_carry_stats cs = {0};
    const double *pop = loc_zones_population(z);
    for (size_t i = 0; i < nrows; i++) {
        double pi = isnan(pop[i]) ? 0 : pop[i];
        if (hw[i] == LOC_PLACED_EXACT) {
            cs.exact++;
            cs.exact_pop += pi;
        } else if (hw[i] == LOC_PLACED_MOST) {
            cs.most++;
            cs.most_pop += pi;
        } else if (hw[i] != LOC_PLACED_NOT_STUDY) {
            cs.unplaced++;
            cs.unplaced_pop += pi;
        }
    }
    if (stats)
        *stats = cs;
    if (how)
        memcpy(how, hw, nrows);
    size_t lost = cs.unplaced;
    double lost_pop = cs.unplaced_pop;
    if (!kept) {
        loc_error(ctx, LOC_EDATA, "'%s': none of its localities could be placed on these zones%s", loc_csv_name(held),
                  map ? " through the zone lookup" : " (different zone codes? give a zone lookup)");
        goto done;
    }
    if (lost)
        loc_report(ctx, LOC_WARN, "'%s': %zu study zone%s (%.0f residents) could not be placed in a held locality",
                   loc_csv_name(held), lost, lost == 1 ? "" : "s", lost_pop);
    if (dropped && kept)
        loc_report(ctx, LOC_WARN, "'%s': %zu held localit%s received no zone (%s%s) and %s left out", loc_csv_name(held),
                   dropped, dropped == 1 ? "y" : "ies", first_dropped, dropped > 1 ? ", ..." : "",
                   dropped == 1 ? "is" : "are");
    out = loc_partition_create(ctx, z, label, kept, codes, names);
done:
    loc_strmap_destroy(zone_row);
    loc_strmap_destroy(loc_index);
    loc_free(ctx, label);
    loc_free(ctx, hloc);
    loc_free(ctx, hpop);
    loc_free(ctx, hw);
    loc_free(ctx, codes);
    loc_free(ctx, names);
    return out;
}

loc_status loc_partition_write_carried_csv(loc_ctx *ctx, const loc_partition *p, const uint8_t *how, const char *path)
{
    static const char *const WORD[] = {"", "exact", "most", "tie", "none"};
    loc_afile af;
    loc_status st = loc_afile_open(ctx, &af, path);
    if (st)
        return st;
    const loc_zones *z = p->z;
    const double *pop = loc_zones_population(z);
    size_t ns = loc_zones_nstudy(z);
    const uint32_t *rows = loc_zones_study_by_code(z);
    if (fputs("zone_code,locality_code,placement,population\n", af.f) == EOF)
        st = loc_afile_failed(ctx, &af);
    for (size_t s = 0; s < ns && !st; s++) {
        size_t i = rows[s];
        int32_t k = p->label[i];
        const char *w = how[i] <= LOC_PLACED_NONE ? WORD[how[i]] : "";
        if (loc_put_csv_field(af.f, loc_zones_code(z, i)) == EOF || fputc(',', af.f) == EOF ||
            loc_put_csv_field(af.f, k >= 0 ? p->codes[k] : "") == EOF || fprintf(af.f, ",%s", w) < 0 ||
            put_pop_eol(af.f, pop[i]))
            st = loc_afile_failed(ctx, &af);
    }
    return loc_afile_close(ctx, &af, st);
}

/*
 * Carrying held localities across releases (`batch --hold-localities`,
 * `build --from` on another geography): a run's zones.csv placed on
 * another release's zones through a zone lookup, each zone joining the
 * held locality that holds most of its mapped zones' residents (or only a
 * unanimous one), and carried.csv saying how each zone was placed.  The
 * result is an ordinary partition (partition.c); the declarations are in
 * localities/partition.h beside it.  Carrying by area overlay is
 * overlay.c's.
 */
#include "localities/partition.h"
#include "localities/strmap.h"
#include "internal.h"
#include "carry_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    size_t kept, dropped;
    const char *first_dropped;
    if (loc_carry_drop_empty(ctx, label, nrows, codes, names, nloc, &kept, &dropped, &first_dropped))
        goto done;
    loc_carry_stats cs = loc_carry_tally(z, hw);
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

loc_status loc_carry_drop_empty(loc_ctx *ctx, int32_t *label, size_t nrows, const char **codes, const char **names,
                                size_t nloc, size_t *kept, size_t *dropped, const char **first_dropped)
{
    int32_t *renum = loc_malloc(ctx, (nloc ? nloc : 1) * sizeof *renum);
    size_t *count = loc_calloc(ctx, nloc ? nloc : 1, sizeof *count);
    *kept = *dropped = 0;
    *first_dropped = NULL;
    if (!renum || !count) {
        loc_free(ctx, renum);
        loc_free(ctx, count);
        return LOC_ENOMEM;
    }
    for (size_t i = 0; i < nrows; i++)
        if (label[i] >= 0)
            count[label[i]]++;
    for (size_t k = 0; k < nloc; k++) {
        if (!count[k] && !(*dropped)++)
            *first_dropped = codes[k];
        renum[k] = count[k] ? (int32_t)*kept : -1;
        if (count[k]) {
            codes[*kept] = codes[k];
            names[*kept] = names[k];
            (*kept)++;
        }
    }
    for (size_t i = 0; i < nrows; i++)
        if (label[i] >= 0)
            label[i] = renum[label[i]];
    loc_free(ctx, renum);
    loc_free(ctx, count);
    return LOC_OK;
}

loc_carry_stats loc_carry_tally(const loc_zones *z, const uint8_t *how)
{
    loc_carry_stats cs = {0};
    const double *pop = loc_zones_population(z);
    for (size_t i = 0; i < loc_zones_count(z); i++) {
        double pi = isnan(pop[i]) ? 0 : pop[i];
        if (how[i] == LOC_PLACED_EXACT) {
            cs.exact++;
            cs.exact_pop += pi;
        } else if (how[i] == LOC_PLACED_MOST) {
            cs.most++;
            cs.most_pop += pi;
        } else if (how[i] != LOC_PLACED_NOT_STUDY) {
            cs.unplaced++;
            cs.unplaced_pop += pi;
        }
    }
    return cs;
}

loc_status loc_partition_write_carried_csv(loc_ctx *ctx, const loc_partition *p, const uint8_t *how, const char *path)
{
    static const char *const WORD[] = {"", "exact", "most", "tie", "none"};
    loc_afile af;
    loc_status st = loc_afile_open(ctx, &af, path);
    if (st)
        return st;
    const loc_zones *z = loc_partition_zones(p);
    const double *pop = loc_zones_population(z);
    size_t ns = loc_zones_nstudy(z);
    const uint32_t *rows = loc_zones_study_by_code(z);
    if (fputs("zone_code,locality_code,placement,population\n", af.f) == EOF)
        st = loc_afile_failed(ctx, &af);
    for (size_t s = 0; s < ns && !st; s++) {
        size_t i = rows[s];
        int32_t k = loc_partition_labels(p)[i];
        const char *w = how[i] <= LOC_PLACED_NONE ? WORD[how[i]] : "";
        if (loc_put_csv_field(af.f, loc_zones_code(z, i)) == EOF || fputc(',', af.f) == EOF ||
            loc_put_csv_field(af.f, k >= 0 ? loc_partition_code(p, (size_t)k) : "") == EOF || loc_fprintf(af.f, ",%s", w) < 0 ||
            loc_put_pop_eol(af.f, pop[i]))
            st = loc_afile_failed(ctx, &af);
    }
    return loc_afile_close(ctx, &af, st);
}

/*
 * The ensemble of alternative plans behind flag stability (see
 * ensemble.h).  Plans are built one after another, each with the
 * caller's threads, and assessed without the contiguity check (every plan
 * is contiguous by construction); only per-zone counts and per-locality
 * agreement counts are kept, so memory stays that of one plan.
 */
#include "localities/ensemble.h"
#include "localities/csv.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

struct loc_ensemble {
    loc_ctx *ctx;
    size_t plans;
    size_t rows;        /* zone rows */
    size_t nloc;        /* localities of the main plan */
    double *zone_share; /* per zone row */
    uint32_t *similar;  /* per main locality */
    uint32_t *agree;    /* per main locality: similar plans with the main flag */
};

void loc_ensemble_opts_init(loc_ensemble_opts *o)
{
    o->plans = 50;
    o->w_soft_low = 0.2;
    o->w_soft_high = 0.6;
}

void loc_ensemble_destroy(loc_ensemble *e)
{
    if (!e)
        return;
    loc_free(e->ctx, e->zone_share);
    loc_free(e->ctx, e->similar);
    loc_free(e->ctx, e->agree);
    loc_free(e->ctx, e);
}

size_t loc_ensemble_plans(const loc_ensemble *e) { return e->plans; }
const double *loc_ensemble_zone_share(const loc_ensemble *e) { return e->zone_share; }
size_t loc_ensemble_similar(const loc_ensemble *e, size_t k) { return e->similar[k]; }

double loc_ensemble_flag_holds(const loc_ensemble *e, size_t k)
{
    return e->similar[k] ? (double)e->agree[k] / (double)e->similar[k] : NAN;
}

static double row_weight(const double *pop, uint32_t r)
{
    return (isnan(pop[r]) || pop[r] < 0 ? 0 : pop[r]) + 1e-9;
}

/* Count plan p's flags into the zones, and into the main localities whose
 * best match in p (Jaccard by residents >= 1/2) shares the main flag.
 * acc: zeroed scratch over p's localities, left zeroed. */
static void count_plan(loc_ensemble *e, const loc_partition *main, const loc_assess *main_as, const loc_partition *p,
                       const loc_assess *as, double *acc)
{
    const loc_zones *z = loc_partition_zones(main);
    const double *pop = loc_zones_population(z);
    const int32_t *lab = loc_partition_labels(p);
    for (size_t k = 0; k < loc_partition_count(p); k++) {
        if (!loc_assess_qualifies(as, k))
            continue;
        size_t n;
        const uint32_t *m = loc_partition_members(p, k, &n);
        for (size_t i = 0; i < n; i++)
            e->zone_share[m[i]] += 1;
    }
    for (size_t k = 0; k < e->nloc; k++) {
        size_t n;
        const uint32_t *m = loc_partition_members(main, k, &n);
        double total = 0, best = 0;
        long bestq = -1;
        for (size_t i = 0; i < n; i++) {
            total += row_weight(pop, m[i]);
            if (lab[m[i]] >= 0)
                acc[lab[m[i]]] += row_weight(pop, m[i]);
        }
        for (size_t i = 0; i < n; i++) {
            int32_t q = lab[m[i]];
            if (q < 0 || acc[q] == 0)
                continue;
            size_t nq;
            const uint32_t *mq = loc_partition_members(p, (size_t)q, &nq);
            double pq = 0;
            for (size_t t = 0; t < nq; t++)
                pq += row_weight(pop, mq[t]);
            double j = acc[q] / (total + pq - acc[q]);
            if (j > best) {
                best = j;
                bestq = q;
            }
            acc[q] = 0;
        }
        if (bestq >= 0 && best >= 0.5) {
            e->similar[k]++;
            e->agree[k] += !loc_assess_qualifies(as, (size_t)bestq) == !loc_assess_qualifies(main_as, k);
        }
    }
}

/* Plan k of n: the base options with their own seed and soft weight. */
static loc_build_opts plan_opts(const loc_build_opts *base, const loc_ensemble_opts *eo, size_t k)
{
    loc_build_opts o = *base;
    o.seed = base->seed + k + 1;
    double t = eo->plans > 1 ? (double)k / (double)(eo->plans - 1) : 0.5;
    o.w_soft = eo->w_soft_low + t * (eo->w_soft_high - eo->w_soft_low);
    return o;
}

/* Build, name (no names: codes only) and assess plan k, then count it. */
static loc_status one_plan(loc_ctx *ctx, loc_ensemble *e, const loc_build_input *in, const loc_build_opts *o,
                           const loc_zones *z, const uint32_t *rows, const loc_assess_opts *ao,
                           const loc_partition *main, const loc_assess *main_as)
{
    loc_build_result *r = loc_build(ctx, in, o);
    loc_partition *p = r ? loc_build_partition(ctx, z, r, rows, NULL, NULL) : NULL;
    loc_assess *as = p ? loc_assess_run(ctx, z, p, ao, NULL, rows) : NULL;
    double *acc = as ? loc_calloc(ctx, loc_partition_count(p) + 1, sizeof *acc) : NULL;
    loc_status st = acc ? LOC_OK : (loc_errcode(ctx) ? loc_errcode(ctx) : LOC_ENOMEM);
    if (acc)
        count_plan(e, main, main_as, p, as, acc);
    loc_free(ctx, acc);
    loc_assess_destroy(as);
    loc_partition_destroy(p);
    loc_build_result_destroy(r);
    return st;
}

loc_ensemble *loc_ensemble_run(loc_ctx *ctx, const loc_build_input *in, const loc_build_opts *base,
                               const loc_ensemble_opts *eo, const loc_zones *z, const uint32_t *rows,
                               const loc_assess_opts *ao, const loc_partition *main, const loc_assess *main_as)
{
    if (!eo || eo->plans < 1 || !(eo->w_soft_low >= 0) || !(eo->w_soft_high >= eo->w_soft_low)) {
        loc_error(ctx, LOC_EINVAL, "ensemble: at least one plan and soft weights 0 <= low <= high are needed");
        return NULL;
    }
    loc_build_opts b;
    if (base)
        b = *base;
    else
        loc_build_opts_init(&b);
    loc_ensemble *e = loc_calloc(ctx, 1, sizeof *e);
    if (!e)
        return NULL;
    e->ctx = ctx;
    e->plans = eo->plans;
    e->rows = loc_zones_count(z);
    e->nloc = loc_partition_count(main);
    if (!(e->zone_share = loc_calloc(ctx, e->rows ? e->rows : 1, sizeof *e->zone_share)) ||
        !(e->similar = loc_calloc(ctx, e->nloc ? e->nloc : 1, sizeof *e->similar)) ||
        !(e->agree = loc_calloc(ctx, e->nloc ? e->nloc : 1, sizeof *e->agree))) {
        loc_ensemble_destroy(e);
        return NULL;
    }
    for (size_t k = 0; k < eo->plans; k++) {
        loc_build_opts o = plan_opts(&b, eo, k);
        if (one_plan(ctx, e, in, &o, z, rows, ao, main, main_as)) {
            loc_ensemble_destroy(e);
            return NULL;
        }
    }
    const int32_t *lab = loc_partition_labels(main);
    for (size_t r = 0; r < e->rows; r++)
        e->zone_share[r] = lab[r] >= 0 ? e->zone_share[r] / (double)e->plans : NAN;
    return e;
}

double loc_ensemble_locality_share(const loc_ensemble *e, const loc_partition *main, size_t k)
{
    const double *pop = loc_zones_population(loc_partition_zones(main));
    size_t n;
    const uint32_t *m = loc_partition_members(main, k, &n);
    double w = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        w += row_weight(pop, m[i]);
        s += row_weight(pop, m[i]) * e->zone_share[m[i]];
    }
    return w > 0 ? s / w : NAN;
}

static int put_share(FILE *f, double v)
{
    return isnan(v) ? fputs("", f) : loc_fprintf(f, "%.4f", v);
}

static loc_status write_zones(loc_ctx *ctx, const loc_ensemble *e, const loc_partition *main, const loc_assess *as,
                              const char *path)
{
    const loc_zones *z = loc_partition_zones(main);
    const uint32_t *order = loc_zones_rows_by_code(z);
    const int32_t *lab = loc_partition_labels(main);
    loc_afile af;
    loc_status st = loc_afile_open(ctx, &af, path);
    if (st)
        return st;
    int bad = fputs("zone_code,locality_code,plan_required,share_of_plans_flagged\n", af.f) == EOF;
    for (size_t q = 0; q < e->rows && !bad; q++) {
        uint32_t r = order[q];
        if (lab[r] < 0)
            continue;
        bad = loc_put_csv_field(af.f, loc_zones_code(z, r)) == EOF || fputc(',', af.f) == EOF ||
              loc_put_csv_field(af.f, loc_partition_code(main, (size_t)lab[r])) == EOF ||
              loc_fprintf(af.f, ",%d,", loc_assess_qualifies(as, (size_t)lab[r]) ? 1 : 0) < 0 ||
              put_share(af.f, e->zone_share[r]) < 0 || fputc('\n', af.f) == EOF;
    }
    if (bad)
        st = loc_afile_failed(ctx, &af);
    return loc_afile_close(ctx, &af, st);
}

static loc_status write_localities(loc_ctx *ctx, const loc_ensemble *e, const loc_partition *main,
                                   const loc_assess *as, const char *path)
{
    loc_afile af;
    loc_status st = loc_afile_open(ctx, &af, path);
    if (st)
        return st;
    int bad = fputs("locality_code,locality_name,plan_required,plans_similar,flag_holds_share,"
                    "residents_flagged_share\n",
                    af.f) == EOF;
    for (size_t k = 0; k < e->nloc && !bad; k++) {
        const char *name = loc_partition_name(main, k);
        bad = loc_put_csv_field(af.f, loc_partition_code(main, k)) == EOF || fputc(',', af.f) == EOF ||
              loc_put_csv_field(af.f, name ? name : "") == EOF ||
              loc_fprintf(af.f, ",%d,%u,", loc_assess_qualifies(as, k) ? 1 : 0, e->similar[k]) < 0 ||
              put_share(af.f, loc_ensemble_flag_holds(e, k)) < 0 || fputc(',', af.f) == EOF ||
              put_share(af.f, loc_ensemble_locality_share(e, main, k)) < 0 || fputc('\n', af.f) == EOF;
    }
    if (bad)
        st = loc_afile_failed(ctx, &af);
    return loc_afile_close(ctx, &af, st);
}

/* The cells appended to one row: the row's key, looked up in main. */
typedef int (*put_cells_fn)(FILE *f, const loc_ensemble *e, const loc_partition *main, const char *key);

static int put_zone_cells(FILE *f, const loc_ensemble *e, const loc_partition *main, const char *key)
{
    long r = loc_zones_find(loc_partition_zones(main), key);
    return put_share(f, r >= 0 ? e->zone_share[r] : NAN);
}

static int put_locality_cells(FILE *f, const loc_ensemble *e, const loc_partition *main, const char *key)
{
    long k = loc_partition_find(main, key);
    if (k < 0)
        return fputs(",,", f);
    return loc_fprintf(f, "%u,", e->similar[k]) < 0 || put_share(f, loc_ensemble_flag_holds(e, (size_t)k)) < 0 ||
                   fputc(',', f) == EOF || put_share(f, loc_ensemble_locality_share(e, main, (size_t)k)) < 0
               ? EOF
               : 0;
}

/* Rewrite the CSV at path with header cells `extra` and each row's cells
 * from put appended, keyed by column `key`. */
static loc_status append_columns(loc_ctx *ctx, const loc_ensemble *e, const loc_partition *main, const char *path,
                                 const char *key, const char *extra, put_cells_fn put)
{
    loc_csv *csv = loc_csv_read(ctx, path);
    if (!csv)
        return loc_errcode(ctx);
    long kc = loc_csv_column(csv, key);
    if (kc < 0) {
        loc_csv_destroy(csv);
        return loc_error(ctx, LOC_EPARSE, "'%s': no column '%s'", path, key);
    }
    loc_afile af;
    loc_status st = loc_afile_open(ctx, &af, path);
    if (st) {
        loc_csv_destroy(csv);
        return st;
    }
    size_t nc = loc_csv_ncols(csv);
    int bad = 0;
    for (size_t c = 0; c < nc && !bad; c++)
        bad = (c && fputc(',', af.f) == EOF) || loc_csv_put_field(af.f, loc_csv_header(csv, c)) == EOF;
    bad = bad || loc_fprintf(af.f, ",%s\n", extra) < 0;
    for (size_t r = 0; r < loc_csv_nrows(csv) && !bad; r++) {
        for (size_t c = 0; c < nc && !bad; c++)
            bad = (c && fputc(',', af.f) == EOF) || loc_csv_put_field(af.f, loc_csv_field(csv, r, c)) == EOF;
        bad = bad || fputc(',', af.f) == EOF || put(af.f, e, main, loc_csv_field(csv, r, (size_t)kc)) < 0 ||
              fputc('\n', af.f) == EOF;
    }
    if (bad)
        st = loc_afile_failed(ctx, &af);
    loc_csv_destroy(csv);
    return loc_afile_close(ctx, &af, st);
}

loc_status loc_ensemble_append_columns(loc_ctx *ctx, const loc_ensemble *e, const loc_partition *main,
                                       const char *zones_csv, const char *localities_csv)
{
    loc_status st = append_columns(ctx, e, main, zones_csv, "zone_code", "share_of_plans_flagged", put_zone_cells);
    return st ? st
              : append_columns(ctx, e, main, localities_csv, "locality_code",
                               "plans_similar,flag_holds_share,residents_flagged_share", put_locality_cells);
}

loc_status loc_ensemble_write_csv(loc_ctx *ctx, const loc_ensemble *e, const loc_partition *main,
                                  const loc_assess *main_as, const char *zones_path, const char *localities_path)
{
    loc_status st = write_zones(ctx, e, main, main_as, zones_path);
    return st ? st : write_localities(ctx, e, main, main_as, localities_path);
}

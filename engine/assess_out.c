/*
 * What an assessment gives the rest of the pipeline: its CSV tables
 * (indicators.csv, localities.csv: the one localities table the tool
 * writes, overdispersion.csv), the per-locality columns the maps and the
 * report carry (loc_assess_attrs) and the report's funnel plots drawn from
 * its own cells and decision limits (loc_assess_funnels).
 */
#include "localities/pipeline.h"
#include "internal.h"
#include "assess_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------------
 * Tables
 * --------------------------------------------------------------------- */

/* A number with 6 significant digits, or nothing when not finite. */
static int put_num(FILE *f, double v)
{
    if (!isfinite(v))
        return 0;
    if (v == 0)
        v = 0; /* no "-0" */
    return loc_put_g(f, v, 6);
}

static const char *cmp_name(int c) { return c == LOC_CMP_COUNCIL_REST ? "council_rest" : "scotland"; }

/* put_num, and a sum of counts or weights with every digit it has, into
 * a buffer: indicators.csv has 20 numbers a
 * row and 2 rows per locality and indicator (69,440 rows on all of
 * Scotland), where a stdio call per field was most of its time. */
static void ob_num(loc_obuf *o, double v)
{
    if (isfinite(v))
        loc_ob_g(o, v == 0 ? 0 : v, 6);
}

static void ob_sum(loc_obuf *o, double v)
{
    if (isfinite(v))
        loc_ob_g(o, v == 0 ? 0 : v, 15);
}

/* A comma, then the number. */
static void ob_next_num(loc_obuf *o, double v)
{
    loc_ob_char(o, ',');
    ob_num(o, v);
}

static void indicator_row(loc_obuf *o, const loc_assess *a, size_t k, size_t j, int c)
{
    const loc_assess_cell *cell = loc_assess_cell_get(a, k, j, (loc_comparator)c);
    loc_ob_csv_field(o, loc_partition_code(a->p, k));
    loc_ob_char(o, ',');
    loc_ob_csv_field(o, loc_zones_indicator(a->z, j)->name);
    loc_ob_char(o, ',');
    loc_ob_str(o, cmp_name(c));
    ob_next_num(o, cell->est.est);
    ob_next_num(o, cell->est.low);
    ob_next_num(o, cell->est.high);
    ob_next_num(o, cell->cmp_value);
    ob_next_num(o, cell->diff.low);
    ob_next_num(o, cell->diff.high);
    loc_ob_char(o, ',');
    loc_ob_str(o, loc_stats_flag_name(cell->flag));
    ob_next_num(o, cell->p);
    loc_ob_char(o, ',');
    ob_sum(o, cell->sum_x);
    loc_ob_char(o, ',');
    ob_sum(o, cell->sum_w);
    loc_ob_char(o, ',');
    loc_ob_int(o, (long long)cell->zones_used);
    loc_ob_char(o, ',');
    loc_ob_int(o, (long long)cell->zones_missing);
    ob_next_num(o, cell->q);
    ob_next_num(o, cell->se);
    ob_next_num(o, cell->limit);
    ob_next_num(o, cell->effect);
    ob_next_num(o, cell->size);
    loc_ob_char(o, ',');
    loc_ob_int(o, (long long)cell->zones_suppressed);
    loc_ob_char(o, ',');
    loc_ob_int(o, cell->flag_sensitive);
    loc_ob_char(o, '\n');
}

loc_status loc_assess_write_indicators(loc_ctx *ctx, const loc_assess *a, const char *path)
{
    loc_afile af;
    loc_status st = loc_afile_open(ctx, &af, path);
    if (st)
        return st;
    loc_obuf *o = loc_malloc(ctx, sizeof *o);
    if (!o)
        return loc_afile_close(ctx, &af, LOC_ENOMEM);
    loc_ob_init(o, af.f);
    loc_ob_str(o, "locality_code,indicator,comparator,estimate,ci_low,ci_high,comparator_value,diff_low,diff_high,flag,"
                  "p_value,numerator,denominator,zones_used,zones_missing,q_value,se,limit,min_effect,funnel_size,"
                  "zones_suppressed,flag_depends_on_suppressed\n");
    for (size_t k = 0; k < a->nloc && !o->bad; k++)
        for (size_t j = 0; j < a->nind; j++)
            for (int c = 0; c < 2; c++)
                indicator_row(o, a, k, j, c);
    if (loc_ob_flush(o))
        st = loc_afile_failed(ctx, &af);
    loc_free(ctx, o);
    return loc_afile_close(ctx, &af, st);
}

/* Cells of locality k whose flag depends on suppressed counts. */
static size_t sensitive_flags(const loc_assess *a, size_t k)
{
    size_t n = 0;
    for (size_t i = 0; i < a->nind * 2; i++)
        n += a->cells[k * a->nind * 2 + i].flag_sensitive;
    return n;
}

loc_status loc_assess_write_localities(loc_ctx *ctx, const loc_assess *a, const char *path)
{
    loc_afile af;
    loc_status st = loc_afile_open(ctx, &af, path);
    if (st)
        return st;
    FILE *f = af.f;
    if (fputs("locality_code,locality_name,council_code,council_name,population,zones,poorer_council_rest,"
              "poorer_scotland,plan_required,over_ceiling,not_contiguous,crosses_council,poorer_domains_council_rest,"
              "poorer_domains_scotland,share_poorer,flags_depending_on_suppressed,plan_reason\n",
              f) == EOF)
        st = loc_afile_failed(ctx, &af);
    for (size_t k = 0; k < a->nloc && !st; k++) {
        int32_t c = loc_partition_council(a->p, k);
        size_t nz;
        loc_partition_members(a->p, k, &nz);
        int bad = loc_put_csv_field(f, loc_partition_code(a->p, k)) == EOF || fputc(',', f) == EOF ||
                  loc_put_csv_field(f, loc_partition_name(a->p, k)) == EOF || fputc(',', f) == EOF ||
                  loc_put_csv_field(f, c >= 0 ? loc_zones_council_code(a->z, (size_t)c) : "") == EOF ||
                  fputc(',', f) == EOF ||
                  loc_put_csv_field(f, c >= 0 ? loc_zones_council_name(a->z, (size_t)c) : "") == EOF ||
                  loc_fprintf(f, ",%.0f,%zu,%zu,%zu,%d,%d,", loc_partition_population(a->p, k), nz, a->poorer[2 * k],
                          a->poorer[2 * k + 1], a->qualifies[k], a->over[k]) < 0 ||
                  (a->discont[k] >= 0 ? loc_fprintf(f, "%d", a->discont[k]) < 0 : 0) ||
                  loc_fprintf(f, ",%d,%zu,%zu,%d,%zu,", a->cross[k], a->pdomains[2 * k], a->pdomains[2 * k + 1],
                          a->share_poorer[k], sensitive_flags(a, k)) < 0 ||
                  loc_put_csv_field(f, loc_assess_reason(a, k)) == EOF || fputc('\n', f) == EOF;
        if (bad)
            st = loc_afile_failed(ctx, &af);
    }
    return loc_afile_close(ctx, &af, st);
}

loc_status loc_assess_write_dispersion(loc_ctx *ctx, const loc_assess *a, const char *path)
{
    static const char *const applied[] = {"none", "multiplicative", "additive", "zones"};
    loc_afile af;
    loc_status st = loc_afile_open(ctx, &af, path);
    if (st)
        return st;
    FILE *f = af.f;
    if (fputs("indicator,comparator,method,units,from_zones,phi,tau2,within_sd,dispersion_within,applied\n", f) ==
        EOF)
        st = loc_afile_failed(ctx, &af);
    for (size_t j = 0; j < a->nind && !st; j++) {
        if (!a->tested[j])
            continue;
        const loc_indicator *ind = loc_zones_indicator(a->z, j);
        double k = loc_assess_shown(ind), w = a->within[j], th = a->nat[j];
        double base = ind->type == LOC_IND_PROPORTION ? th * (1 - th) : ind->type == LOC_IND_RATE ? th : NAN;
        for (int c = 0; c < 2 && !st; c++) {
            const loc_assess_disp *d = &a->disp[j * 2 + (size_t)c];
            int bad = loc_put_csv_field(f, ind->name) == EOF ||
                      loc_fprintf(f, ",%s,%s,%zu,%d,", cmp_name(c), loc_ind_type_name(ind->type), d->units,
                              d->from_zones) < 0 ||
                      put_num(f, d->phi) || fputc(',', f) == EOF || put_num(f, d->tau2 * k * k) ||
                      fputc(',', f) == EOF || put_num(f, sqrt(w) * k) || fputc(',', f) == EOF ||
                      put_num(f, base > 0 ? w * a->zone_w[j] / base : NAN) || loc_fprintf(f, ",%s\n", applied[a->o.od]) < 0;
            if (bad)
                st = loc_afile_failed(ctx, &af);
        }
    }
    return loc_afile_close(ctx, &af, st);
}

/* =====================================================================
 * The writers' attribute columns
 * ===================================================================== */

/* Add a column and return its index, or (size_t)-1 on failure. */
static size_t add_col(loc_ctx *ctx, loc_attrs *t, const char *name, loc_attr_type type)
{
    size_t col;
    return loc_attrs_add(ctx, t, name, type, &col) ? (size_t)-1 : col;
}

/* The plan flag, the poorer counts, the guidance checks, and for every
 * indicator its estimate, interval, comparator values and flags. */
loc_attrs *loc_assess_attrs(loc_ctx *ctx, const loc_assess *as)
{
    const loc_zones *z = as->z;
    const loc_partition *p = as->p;
    size_t nl = loc_partition_count(p), ni = loc_zones_nindicators(z);
    loc_attrs *t = loc_attrs_create(ctx, nl);
    if (!t)
        return NULL;
    static const char *const ints[] = {"plan_required",   "poorer_council_rest",        "poorer_scotland",
                                       "over_ceiling",    "not_contiguous",             "crosses_council",
                                       "share_poorer",    "poorer_domains_council_rest", "poorer_domains_scotland"};
    enum { NINT = sizeof ints / sizeof *ints };
    size_t ic[NINT], rc;
    for (size_t k = 0; k < NINT; k++)
        if ((ic[k] = add_col(ctx, t, ints[k], LOC_ATTR_INT)) == (size_t)-1)
            goto fail;
    size_t bc;
    if ((rc = add_col(ctx, t, "plan_reason", LOC_ATTR_TEXT)) == (size_t)-1 ||
        (bc = add_col(ctx, t, "plan_reason_brief", LOC_ATTR_TEXT)) == (size_t)-1)
        goto fail;
    for (size_t l = 0; l < nl; l++) {
        int64_t v[NINT] = {loc_assess_qualifies(as, l),
                           (int64_t)loc_assess_poorer(as, l, LOC_CMP_COUNCIL_REST),
                           (int64_t)loc_assess_poorer(as, l, LOC_CMP_SCOTLAND),
                           loc_assess_over_ceiling(as, l),
                           loc_assess_discontiguous(as, l),
                           loc_assess_crosses_council(as, l),
                           loc_assess_share_poorer(as, l),
                           (int64_t)loc_assess_poorer_domains(as, l, LOC_CMP_COUNCIL_REST),
                           (int64_t)loc_assess_poorer_domains(as, l, LOC_CMP_SCOTLAND)};
        for (size_t k = 0; k < NINT; k++)
            if (loc_attrs_set_int(ctx, t, ic[k], l, v[k]))
                goto fail;
        if (loc_attrs_set_text(ctx, t, rc, l, loc_assess_reason(as, l)) ||
            loc_attrs_set_text(ctx, t, bc, l, loc_assess_reason_brief(as, l)))
            goto fail;
    }
    for (size_t j = 0; j < ni; j++) {
        const char *name = loc_zones_indicator(z, j)->name;
        char n[7][160];
        snprintf(n[0], sizeof n[0], "%s", name);
        snprintf(n[1], sizeof n[1], "%s_low", name);
        snprintf(n[2], sizeof n[2], "%s_high", name);
        snprintf(n[3], sizeof n[3], "%s_council_rest", name);
        snprintf(n[4], sizeof n[4], "%s_scotland", name);
        snprintf(n[5], sizeof n[5], "%s_flag_council_rest", name);
        snprintf(n[6], sizeof n[6], "%s_flag_scotland", name);
        size_t c[7];
        for (int k = 0; k < 7; k++)
            if ((c[k] = add_col(ctx, t, n[k], k < 5 ? LOC_ATTR_REAL : LOC_ATTR_TEXT)) == (size_t)-1)
                goto fail;
        for (size_t l = 0; l < nl; l++) {
            const loc_assess_cell *cr = loc_assess_cell_get(as, l, j, LOC_CMP_COUNCIL_REST);
            const loc_assess_cell *cs = loc_assess_cell_get(as, l, j, LOC_CMP_SCOTLAND);
            double v[5] = {cs->est.est, cs->est.low, cs->est.high, cr->cmp_value, cs->cmp_value};
            for (int k = 0; k < 5; k++)
                if (loc_attrs_set_real(ctx, t, c[k], l, v[k]))
                    goto fail;
            if (loc_attrs_set_text(ctx, t, c[5], l, loc_stats_flag_name(cr->flag)) ||
                loc_attrs_set_text(ctx, t, c[6], l, loc_stats_flag_name(cs->flag)))
                goto fail;
        }
    }
    return t;
fail:
    loc_attrs_destroy(t);
    return NULL;
}

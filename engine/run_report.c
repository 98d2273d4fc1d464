/*
 * A run's report.html assembled from the run (see pipeline.h): the
 * funnel plots drawn from the assessment's own cells and decision limits,
 * the profiles' indicators in spec order, the feasibility section, the
 * build's settings and quality, the plan rule, the date and the
 * attribution the boundaries' licence asks for.  report.c draws it; this
 * file decides what goes in.
 */
#include "localities/pipeline.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Funnel plots: one per tested indicator, drawn from the assessment's
 * own cells and decision limits. */
typedef struct funnel_ud {
    const loc_assess *as;
    size_t j;
} funnel_ud;

static void funnel_limits(const void *ud, double x, double *lo, double *hi)
{
    const funnel_ud *u = ud;
    loc_assess_funnel(u->as, u->j, x, lo, hi);
}

typedef struct funnels {
    loc_funnel *f;
    funnel_ud *ud;
    double *buf;
    int *flags;
    char (*notes)[160];
    size_t n;
} funnels;

static void free_funnels(loc_ctx *ctx, funnels *fs)
{
    loc_free(ctx, fs->f);
    loc_free(ctx, fs->ud);
    loc_free(ctx, fs->buf);
    loc_free(ctx, fs->flags);
    loc_free(ctx, fs->notes);
}

static loc_status make_funnels(loc_ctx *ctx, const loc_zones *z, const loc_partition *p, const loc_assess *as,
                               funnels *fs)
{
    size_t nl = loc_partition_count(p), ni = loc_zones_nindicators(z), n1 = nl ? nl : 1, m1 = ni ? ni : 1;
    memset(fs, 0, sizeof *fs);
    if (!(fs->f = loc_calloc(ctx, m1, sizeof *fs->f)) || !(fs->ud = loc_calloc(ctx, m1, sizeof *fs->ud)) ||
        !(fs->buf = loc_malloc(ctx, m1 * n1 * 4 * sizeof *fs->buf)) ||
        !(fs->flags = loc_malloc(ctx, m1 * n1 * 2 * sizeof *fs->flags)) ||
        !(fs->notes = loc_calloc(ctx, m1, sizeof *fs->notes)))
        return LOC_ENOMEM;
    const loc_assess_opts *o = loc_assess_options(as);
    static const char *const od_text[] = {"no overdispersion allowance", "overdispersion as phi",
                                          "overdispersion as tau^2", "the zones' spread inside localities"};
    for (size_t j = 0; j < ni; j++) {
        const loc_indicator *ind = loc_zones_indicator(z, j);
        if (!loc_assess_tested(as, j))
            continue;
        size_t m = fs->n++;
        double *val = fs->buf + m * n1 * 4, *size = val + n1, *diff = size + n1, *lim = diff + n1;
        int *fsc = fs->flags + m * n1 * 2, *fre = fsc + n1;
        double effect = NAN;
        for (size_t l = 0; l < nl; l++) {
            const loc_assess_cell *cs = loc_assess_cell_get(as, l, j, LOC_CMP_SCOTLAND);
            const loc_assess_cell *cr = loc_assess_cell_get(as, l, j, LOC_CMP_COUNCIL_REST);
            val[l] = cs->est.est;
            size[l] = cs->size;
            fsc[l] = (int)cs->flag;
            diff[l] = cr->diff.est;
            lim[l] = cr->limit;
            fre[l] = (int)cr->flag;
            if (isnan(effect) && isfinite(cs->effect))
                effect = cs->effect;
        }
        fs->ud[m] = (funnel_ud){as, j};
        int zones = o->od == LOC_OD_ZONES || (ind->type != LOC_IND_PROPORTION && ind->type != LOC_IND_RATE);
        const char *unit = ind->type == LOC_IND_PROPORTION || ind->type == LOC_IND_SHARE ? "%" : NULL;
        if (o->fdr > 0)
            snprintf(fs->notes[m], sizeof fs->notes[m], "Decision limits: false discovery rate %g (z = %.3g), %s, "
                     "minimum difference %.3g", o->fdr, loc_assess_z(as), od_text[o->od], effect);
        else
            snprintf(fs->notes[m], sizeof fs->notes[m], "Decision limits: %g%%, %s, minimum difference %.3g",
                     100 * o->conf, od_text[o->od], effect);
        fs->f[m] = (loc_funnel){.name = ind->name,
                                .label = ind->label && ind->label[0] ? ind->label : ind->name,
                                .unit = unit,
                                .size_label = zones ? "effective number of zones" : "denominator",
                                .note = fs->notes[m],
                                .worse = ind->higher_is_worse ? 1 : -1,
                                .national = loc_assess_cell_get(as, 0, j, LOC_CMP_SCOTLAND)->cmp_value,
                                .value = val,
                                .size = size,
                                .flag_scotland = fsc,
                                .limits = funnel_limits,
                                .limits_ud = &fs->ud[m],
                                .diff = diff,
                                .limit = lim,
                                .flag_rest = fre};
    }
    return LOC_OK;
}

/* The report's feasibility section: the councils and parts where the
 * floor or the ceiling cannot hold, and why (feasibility.csv has every
 * row).  cells: 6 per row, from cellbuf (the caller frees it). */
#define FEAS_COLS 6
static size_t feasibility_table(loc_ctx *ctx, const loc_inputs *in, const loc_problem *b, loc_report_table *tb,
                                char **cellbuf, const char ***cells, char *intro, size_t intro_size)
{
    static const char *const head[FEAS_COLS] = {"Council", "Part", "First zone", "Zones", "Residents", "Why not"};
    size_t bad = 0, parts = 0, councils = 0;
    for (size_t i = 0; i < b->nfeasibility; i++) {
        bad += !b->feasibility[i].floor_holds || !b->feasibility[i].ceiling_holds;
        parts += b->feasibility[i].component > 0;
        councils += b->feasibility[i].component == 0;
    }
    *cellbuf = loc_calloc(ctx, bad ? bad * FEAS_COLS : 1, 200);
    *cells = loc_calloc(ctx, bad ? bad * FEAS_COLS : 1, sizeof **cells);
    if (!*cellbuf || !*cells)
        return 0;
    size_t row = 0;
    for (size_t i = 0; i < b->nfeasibility; i++) {
        const loc_feasibility *fe = &b->feasibility[i];
        if (fe->floor_holds && fe->ceiling_holds)
            continue;
        char *c = *cellbuf + row * FEAS_COLS * 200;
        snprintf(c, 200, "%s", fe->council >= 0 ? loc_zones_council_name(in->zones, (size_t)fe->council) : "");
        if (fe->component)
            snprintf(c + 200, 200, "part %zu of %zu", fe->component, fe->ncomponents);
        else
            snprintf(c + 200, 200, "the whole council");
        snprintf(c + 400, 200, "%s", b->codes ? b->codes[fe->first_node] : "");
        snprintf(c + 600, 200, "%zu", fe->zones);
        snprintf(c + 800, 200, "%.0f", fe->population);
        size_t len = 0;
        if (!fe->floor_holds)
            len += (size_t)snprintf(c + 1000, 200, "below the floor of %.0f residents", b->opts.min_pop);
        if (!fe->ceiling_holds && len < 200)
            snprintf(c + 1000 + len, 200 - len, "%s%zu zone%s or hard group%s above the ceiling of %.0f (largest "
                     "%.0f residents, zone %s)", len ? "; " : "", fe->units_over_ceiling,
                     fe->units_over_ceiling == 1 ? "" : "s", fe->units_over_ceiling == 1 ? "" : "s", b->opts.max_pop,
                     fe->largest_unit, b->codes ? b->codes[fe->largest_node] : "");
        for (int k = 0; k < FEAS_COLS; k++)
            (*cells)[row * FEAS_COLS + (size_t)k] = c + 200 * (size_t)k;
        row++;
    }
    snprintf(intro, intro_size,
             "Whether the population floor (%.0f) and ceiling (%.0f) can hold in each of the %zu council%s and the "
             "%zu part%s the graph separates (islands, land cut off by water): %s  Every row is in feasibility.csv.",
             b->opts.min_pop, b->opts.max_pop, councils, councils == 1 ? "" : "s", parts, parts == 1 ? "" : "s",
             bad ? "where they cannot, the localities there are as close as the geography allows, and the table "
                   "says why."
                 : "they can everywhere.");
    *tb = (loc_report_table){"feasibility", "Floor and ceiling", intro, FEAS_COLS, row, head, *cells};
    return 1;
}

loc_status loc_run_write_report(loc_ctx *ctx, const loc_run *r, const char *path)
{
    const loc_inputs *in = r->in;
    const loc_problem *b = r->problem;
    const loc_partition *p = r->partition;
    const loc_assess *as = r->assess;
    const loc_attrs *t = r->attrs;
    funnels fs;
    if (make_funnels(ctx, in->zones, p, as, &fs)) {
        free_funnels(ctx, &fs);
        return LOC_ENOMEM;
    }
    /* the spec's `map` indicator (the shipped specs: income rather than
     * the deprivation share, since most localities hold no zone of the
     * most deprived fifth and a map of mostly zeros shows little) */
    size_t mk;
    const char *value_col = NULL;
    if (loc_zones_indicators_with_role(in->zones, LOC_ROLE_MAP, &mk, 1) &&
        loc_attrs_find(t, loc_zones_indicator(in->zones, mk)->name) >= 0)
        value_col = loc_zones_indicator(in->zones, mk)->name;
    char s_pop[64], s_w[128], s_n[64], s_q[96];
    snprintf(s_n, sizeof s_n, "%zu", loc_partition_count(p));
    loc_kv settings[8];
    size_t nset = 0;
    if (b->result) {
        snprintf(s_pop, sizeof s_pop, "%.0f to %.0f", b->opts.min_pop, b->opts.max_pop);
        snprintf(s_w, sizeof s_w, "heterogeneity %g, compactness %g, soft splits %g; seed %llu, %d starts",
                 b->opts.w_het, b->opts.w_compact, b->opts.w_soft, (unsigned long long)b->opts.seed, b->opts.starts);
        if (loc_problem_has_soft(b))
            snprintf(s_q, sizeof s_q, "R^2 %.3f; %.1f%% of soft groups kept whole",
                     loc_build_stats_get(b->result)->r2, 100 * (1 - loc_build_stats_get(b->result)->soft_split));
        else
            snprintf(s_q, sizeof s_q, "R^2 %.3f; no soft grouping", loc_build_stats_get(b->result)->r2);
        settings[nset++] = (loc_kv){"localities", s_n};
        settings[nset++] = (loc_kv){"population bounds", s_pop};
        settings[nset++] = (loc_kv){"built to be alike in", b->nfeat ? b->feat_names : "nothing"};
        settings[nset++] = (loc_kv){"objective weights", s_w};
        settings[nset++] = (loc_kv){"quality", s_q};
    } else {
        /* assess: the localities were given, not built */
        snprintf(s_n, sizeof s_n, "%zu, given", loc_partition_count(p));
        snprintf(s_pop, sizeof s_pop, "%.0f", loc_assess_options(as)->max_pop);
        settings[nset++] = (loc_kv){"localities", s_n};
        settings[nset++] = (loc_kv){"population ceiling checked", s_pop};
    }
    settings[nset++] = (loc_kv){"plan rule", loc_assess_rule(as)};
    settings[nset++] = (loc_kv){"version", LOC_VERSION};
    /* the profiles' indicators, in spec order */
    size_t ni = loc_zones_nindicators(in->zones);
    loc_report_indicator *ri = loc_calloc(ctx, ni ? ni : 1, sizeof *ri);
    if (!ri) {
        free_funnels(ctx, &fs);
        return LOC_ENOMEM;
    }
    for (size_t j = 0; j < ni; j++) {
        const loc_indicator *ind = loc_zones_indicator(in->zones, j);
        ri[j] = (loc_report_indicator){ind->name, ind->label && ind->label[0] ? ind->label : ind->name,
                                       ind->type == LOC_IND_PROPORTION || ind->type == LOC_IND_SHARE ? "%" : NULL,
                                       ind->higher_is_worse ? 1 : -1, loc_assess_tested(as, j)};
    }
    /* the date of the run (SOURCE_DATE_EPOCH when set, for reproducible
     * files) and the attribution the boundaries' licence asks for */
    static const char *const months[] = {"January", "February", "March",     "April",   "May",      "June",
                                         "July",    "August",   "September", "October", "November", "December"};
    time_t now = time(NULL);
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde)
        now = (time_t)strtoll(sde, NULL, 10);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    char date[64], os[128];
    snprintf(date, sizeof date, "%d %s %d", tmv.tm_mday, months[tmv.tm_mon], 1900 + tmv.tm_year);
    snprintf(os, sizeof os, "Contains OS data \u00a9 Crown copyright and database right %d.", 1900 + tmv.tm_year);
    const char *credits[] = {os, "Contains public sector information licensed under the Open Government Licence v3.0."};
    loc_report_opts ro = {0};
    ro.title = "Localities";
    ro.indicators = ri;
    ro.nindicators = ni;
    ro.reason_column = loc_attrs_find(t, "plan_reason_brief") >= 0 ? "plan_reason_brief" : NULL;
    ro.date = date;
    ro.attribution = credits;
    ro.nattribution = 2;
    ro.flag_column = "plan_required";
    ro.value_column = value_col;
    ro.funnels = fs.f;
    ro.nfunnels = fs.n;
    ro.settings = settings;
    ro.nsettings = nset;
    ro.sources = r->sources;
    ro.nsources = r->nsources;
    /* the ensemble's shares, when the run has them, in the maps' selector */
    static const loc_report_indicator ens[] = {
        {"flag_holds_share", "Flag stability: share of similar alternative plans in which the locality's plan "
                             "flag holds (1 = every plan)", NULL, 0, 0},
        {"residents_flagged_share", "Share of alternative plans in which its residents' zones lie in a locality "
                                    "needing a plan (residents' mean)", NULL, 1, 0}};
    if (loc_attrs_find(t, ens[0].name) >= 0) {
        ro.map_extra = ens;
        ro.nmap_extra = 2;
    }
    loc_report_table feas;
    char *feas_buf = NULL, intro[600];
    const char **feas_cells = NULL;
    loc_status st = LOC_OK;
    if (b->feasibility) {
        if (feasibility_table(ctx, in, b, &feas, &feas_buf, &feas_cells, intro, sizeof intro)) {
            ro.tables = &feas;
            ro.ntables = 1;
        } else {
            st = LOC_ENOMEM;
        }
    }
    if (!st)
        st = loc_write_report(ctx, r->dissolved, t, &ro, path);
    loc_free(ctx, feas_buf);
    loc_free(ctx, feas_cells);
    free_funnels(ctx, &fs);
    loc_free(ctx, ri);
    return st;
}


/*
 * `localities run`: the main job.  Load, build the graph and the
 * localities, assess them, and write every output.  All files are written
 * into a staging folder inside --out and moved into place only when every
 * one of them is complete, so a failed run leaves the previous outputs
 * untouched.  The files are independent once the localities are
 * dissolved, so they are written concurrently, each by a thread with its
 * own context (its own GEOS and PROJ contexts and GDAL datasets), reading
 * the shared results only; the staging and the commit of the whole set
 * are as they were.  Progress goes to stderr: a line per stage that
 * rewrites itself on a terminal, plain log lines otherwise (and nothing
 * with --quiet).
 */
#include "cli.h"

#include "localities/ensemble.h"

#include "localities/writers.h"

#include <math.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_OUT "localities-out"

/* ---------------------------------------------------------------------
 * Progress
 * --------------------------------------------------------------------- */

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_progress_init(cli_progress *p, const cli_args *a, int stages)
{
    memset(p, 0, sizeof *p);
    p->quiet = a->quiet;
    p->tty = isatty(2) && !cli_msg_prefix; /* runs of a batch share the terminal */
    p->stages = stages;
    p->times = a->times;
    if (p->times) {
        /* keep the caller's step callback, clear the figures */
        void (*on_step)(void *, size_t) = p->times->on_step;
        void *ud = p->times->ud;
        memset(p->times, 0, sizeof *p->times);
        p->times->on_step = on_step;
        p->times->ud = ud;
    }
    p->t0 = p->t_step = cli_now();
}

/* Close the current step's time (bench_run's stage table). */
static void time_step(cli_progress *p)
{
    double now = cli_now();
    if (p->times && p->stage > 0 && (size_t)p->stage <= CLI_MAX_TIMES) {
        p->times->step[p->stage - 1] = now - p->t_step;
        p->times->nsteps = (size_t)p->stage;
        if (p->times->on_step)
            p->times->on_step(p->times->ud, (size_t)p->stage - 1);
    }
    p->t_step = cli_now();
}

void cli_time_file(cli_progress *p, const char *name, double s)
{
    if (p->times && p->times->nfiles < CLI_MAX_TIMES) {
        p->times->file[p->times->nfiles] = name;
        p->times->file_s[p->times->nfiles++] = s;
    }
}

void cli_step(cli_progress *p, const char *fmt, ...)
{
    time_step(p);
    if (p->quiet) {
        p->stage++;
        return;
    }
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double t = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec - p->t0;
    p->stage++;
    if (p->tty)
        fprintf(stderr, "\r\033[K[%d/%d %5.1fs] %s", p->stage, p->stages, t, msg);
    else if (cli_msg_prefix)
        fprintf(stderr, CLI_PROG ": [%s] [%d/%d] %s\n", cli_msg_prefix, p->stage, p->stages, msg);
    else
        fprintf(stderr, CLI_PROG ": [%d/%d] %s\n", p->stage, p->stages, msg);
    fflush(stderr);
}

void cli_progress_done(cli_progress *p)
{
    time_step(p);
    if (!p->quiet && p->tty)
        fprintf(stderr, "\r\033[K");
}

/* ---------------------------------------------------------------------
 * The command
 * --------------------------------------------------------------------- */

/* ---------------------------------------------------------------------
 * What the maps and the report carry per locality
 * --------------------------------------------------------------------- */

/* Add a column and return its index, or (size_t)-1 on failure. */
static size_t add_col(loc_ctx *ctx, loc_attrs *t, const char *name, loc_attr_type type)
{
    size_t col;
    return loc_attrs_add(ctx, t, name, type, &col) ? (size_t)-1 : col;
}

/* The plan flag, the poorer counts, the guidance checks, and for every
 * indicator its estimate, interval, comparator values and flags. */
static loc_attrs *make_attrs(loc_ctx *ctx, const loc_zones *z, const loc_partition *p, const loc_assess *as)
{
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

static void free_funnels(funnels *fs)
{
    free(fs->f);
    free(fs->ud);
    free(fs->buf);
    free(fs->flags);
    free(fs->notes);
}

static int make_funnels(const loc_zones *z, const loc_partition *p, const loc_assess *as, funnels *fs)
{
    size_t nl = loc_partition_count(p), ni = loc_zones_nindicators(z), n1 = nl ? nl : 1;
    memset(fs, 0, sizeof *fs);
    fs->f = calloc(ni ? ni : 1, sizeof *fs->f);
    fs->ud = calloc(ni ? ni : 1, sizeof *fs->ud);
    fs->buf = malloc((ni ? ni : 1) * n1 * 4 * sizeof *fs->buf);
    fs->flags = malloc((ni ? ni : 1) * n1 * 2 * sizeof *fs->flags);
    fs->notes = calloc(ni ? ni : 1, sizeof *fs->notes);
    if (!fs->f || !fs->ud || !fs->buf || !fs->flags || !fs->notes)
        return CLI_EXIT_DATA;
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
    return CLI_EXIT_OK;
}

/* The report: maps by plan flag and by income deprivation (or the
 * deprivation share), funnels, and the run's settings and sources. */
/* 1 when a soft grouping was respected (hard and nest ones are kept by
 * construction, so only soft ones have a share kept whole to report). */
static int has_soft(const loc_problem *b)
{
    for (size_t k = 0; k < b->ngroupings; k++)
        if (b->kind[k] == LOC_RESPECT_SOFT)
            return 1;
    return 0;
}

/* The report's feasibility section: the councils and parts where the
 * floor or the ceiling cannot hold, and why (feasibility.csv has every
 * row).  cells: 6 per row, from cellbuf (the caller frees it). */
#define FEAS_COLS 6
static size_t feasibility_table(const loc_inputs *in, const loc_problem *b, loc_report_table *tb, char **cellbuf,
                                const char ***cells, char *intro, size_t intro_size)
{
    static const char *const head[FEAS_COLS] = {"Council", "Part", "First zone", "Zones", "Residents", "Why not"};
    size_t bad = 0, parts = 0, councils = 0;
    for (size_t i = 0; i < b->nfeasibility; i++) {
        bad += !b->feasibility[i].floor_holds || !b->feasibility[i].ceiling_holds;
        parts += b->feasibility[i].component > 0;
        councils += b->feasibility[i].component == 0;
    }
    *cellbuf = calloc(bad ? bad * FEAS_COLS : 1, 200);
    *cells = calloc(bad ? bad * FEAS_COLS : 1, sizeof **cells);
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

static loc_status write_report(loc_ctx *ctx, const cli_args *a, const loc_inputs *in, const loc_problem *b,
                               const loc_partition *p, const loc_assess *as, const loc_dissolved *d,
                               const loc_attrs *t, const char *path)
{
    funnels fs;
    if (make_funnels(in->zones, p, as, &fs)) {
        free_funnels(&fs);
        return loc_error(ctx, LOC_ENOMEM, "out of memory");
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
        if (has_soft(b))
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
    loc_kv sources[5 + CLI_MAX_REPEAT];
    size_t ns = 0;
    sources[ns++] = (loc_kv){"boundaries", a->boundaries};
    sources[ns++] = (loc_kv){"indicators", a->indicators};
    sources[ns++] = (loc_kv){"indicator spec", a->spec};
    if (!b->result && a->localities)
        sources[ns++] = (loc_kv){"localities", a->localities};
    for (size_t k = 0; k < a->nlookups && ns < sizeof sources / sizeof *sources; k++)
        sources[ns++] = (loc_kv){"lookup", a->lookups[k]};
    /* the profiles' indicators, in spec order */
    size_t ni = loc_zones_nindicators(in->zones);
    loc_report_indicator *ri = calloc(ni ? ni : 1, sizeof *ri);
    if (!ri) {
        free_funnels(&fs);
        return loc_error(ctx, LOC_ENOMEM, "out of memory");
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
    ro.sources = sources;
    ro.nsources = ns;
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
        if (feasibility_table(in, b, &feas, &feas_buf, &feas_cells, intro, sizeof intro)) {
            ro.tables = &feas;
            ro.ntables = 1;
        } else {
            st = loc_error(ctx, LOC_ENOMEM, "out of memory");
        }
    }
    if (!st)
        st = loc_write_report(ctx, d, t, &ro, path);
    free(feas_buf);
    free(feas_cells);
    free_funnels(&fs);
    free(ri);
    return st;
}

/* ---------------------------------------------------------------------
 * The outputs: each file one job, written into the staging folder
 * --------------------------------------------------------------------- */

/* What every output is made from (all borrowed, read only). */
typedef struct out_src {
    const cli_args *a;
    const loc_inputs *in;
    const loc_problem *b;
    const loc_partition *p;
    const loc_assess *as;
    const loc_dissolved *d;
    const loc_attrs *t;
} out_src;

static loc_status out_zones(loc_ctx *ctx, const out_src *s, const char *path)
{
    return loc_partition_write_zones_csv(ctx, s->p, path);
}

static loc_status out_localities(loc_ctx *ctx, const out_src *s, const char *path)
{
    return loc_assess_write_localities(ctx, s->as, path);
}

static loc_status out_indicators(loc_ctx *ctx, const out_src *s, const char *path)
{
    return loc_assess_write_indicators(ctx, s->as, path);
}

static loc_status out_dispersion(loc_ctx *ctx, const out_src *s, const char *path)
{
    return loc_assess_write_dispersion(ctx, s->as, path);
}

static loc_status out_graph_csv(loc_ctx *ctx, const out_src *s, const char *path)
{
    return loc_graph_write_csv(ctx, s->b->graph, s->b->codes, path);
}

static loc_status out_graph_gal(loc_ctx *ctx, const out_src *s, const char *path)
{
    return loc_graph_write_gal(ctx, s->b->graph, s->b->codes, path, loc_boundaries_layer(s->in->boundaries),
                               loc_boundaries_zone_field(s->in->boundaries));
}

static loc_status out_graph_gwt(loc_ctx *ctx, const out_src *s, const char *path)
{
    return loc_graph_write_gwt(ctx, s->b->graph, s->b->codes, path, loc_boundaries_layer(s->in->boundaries),
                               loc_boundaries_zone_field(s->in->boundaries));
}

static loc_status out_geojson(loc_ctx *ctx, const out_src *s, const char *path)
{
    return loc_write_geojson(ctx, s->d, s->t, path);
}

static loc_status out_gpkg(loc_ctx *ctx, const out_src *s, const char *path)
{
    return loc_write_gpkg(ctx, s->d, s->t, path);
}

static loc_status out_report(loc_ctx *ctx, const out_src *s, const char *path)
{
    return write_report(ctx, s->a, s->in, s->b, s->p, s->as, s->d, s->t, path);
}

/* feasibility.csv, when the build made one (assess has none). */
static loc_status out_feasibility(loc_ctx *ctx, const out_src *s, const char *path)
{
    const loc_problem *b = s->b;
    if (!b->feasibility)
        return LOC_OK; /* nothing written: the commit skips it */
    return loc_feasibility_write_csv(ctx, b->feasibility, b->nfeasibility, &b->input, &b->opts, s->in->zones, path);
}

/* Every file of a run, in the order run.json and the summary list them. */
typedef struct out_job {
    const char *name;
    loc_status (*write)(loc_ctx *ctx, const out_src *s, const char *path);
} out_job;

static const out_job OUT_JOBS[] = {
    {"zones.csv", out_zones},           {"localities.csv", out_localities}, {"indicators.csv", out_indicators},
    {"overdispersion.csv", out_dispersion}, {"graph.csv", out_graph_csv},   {"graph.gal", out_graph_gal},
    {"graph.gwt", out_graph_gwt},       {"localities.geojson", out_geojson}, {"localities.gpkg", out_gpkg},
    {"report.html", out_report},        {"feasibility.csv", out_feasibility},
};
enum { NOUT = sizeof OUT_JOBS / sizeof *OUT_JOBS };

/* The order the jobs start in: the longest first, so that the short ones
 * fill in beside them (all of Scotland, one at a time: GeoJSON 744 ms,
 * report 447, indicators.csv 179, GeoPackage 130, the rest 12 or less). */
static const size_t START_ORDER[NOUT] = {7, 9, 2, 8, 6, 4, 0, 1, 5, 3, 10};

/* Writers at once: the machine's processors, at most 4 (two already
 * halve the writing; the GeoJSON alone bounds it), or --threads. */
#define MAX_WRITERS 4

/* The jobs shared by the writer threads.  Each thread takes the next job
 * under the lock and writes it with its own loc_ctx (its own GEOS and
 * PROJ contexts, its own GDAL datasets); everything in src is only read. */
typedef struct out_pool {
    const out_src *src;
    const cli_args *a;
    char (*paths)[4200];          /* per job, the file in the stage */
    pthread_mutex_t lock;
    size_t next;                  /* next index into START_ORDER */
    int failed;                   /* a job failed: start no more */
    loc_status st[NOUT];          /* per job: its status (LOC_OK when not run) */
    char *err[NOUT];              /* per job: its error message, malloc'd, or NULL */
    double s[NOUT];               /* per job: seconds writing */
    const char *prefix;           /* the calling thread's message prefix (a batch run's name) */
} out_pool;

/* The next job to write, or -1 when there are none or one failed. */
static long take_job(out_pool *pl)
{
    long k = -1;
    pthread_mutex_lock(&pl->lock);
    if (!pl->failed && pl->next < NOUT)
        k = (long)START_ORDER[pl->next++];
    pthread_mutex_unlock(&pl->lock);
    return k;
}

/* Job k with its own context; its error kept for the caller. */
static void run_job(out_pool *pl, size_t k)
{
    loc_ctx *ctx = loc_ctx_create(NULL);
    double t0 = cli_now();
    loc_status st = LOC_ENOMEM;
    if (ctx) {
        loc_ctx_set_report(ctx, cli_report, (void *)pl->a);
        st = OUT_JOBS[k].write(ctx, pl->src, pl->paths[k]);
    }
    pl->s[k] = cli_now() - t0;
    pl->st[k] = st;
    if (st)
        pl->err[k] = strdup(ctx ? loc_errmsg(ctx) : "out of memory");
    loc_ctx_destroy(ctx);
    if (st) {
        pthread_mutex_lock(&pl->lock);
        pl->failed = 1;
        pthread_mutex_unlock(&pl->lock);
    }
}

static void *writer_main(void *arg)
{
    out_pool *pl = arg;
    long k;
    cli_msg_prefix = pl->prefix; /* messages name the batch run, as its own thread's do */
    while ((k = take_job(pl)) >= 0)
        run_job(pl, (size_t)k);
    return NULL;
}

/* How many writer threads: --threads when given, else the processors. */
static size_t writer_count(const cli_args *a)
{
    double v = 0;
    long n = a->threads && cli_number(a->command, "threads", a->threads, 1, 64, &v) == 0 ? (long)v
                                                                                       : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_WRITERS ? MAX_WRITERS : (size_t)n;
}

/* Write every job's file into the stage, several at once; the failure of
 * the first job in OUT_JOBS order that failed is left in ctx (the same
 * message whatever the timing).  The files' names are taken in OUT_JOBS
 * order before any thread starts. */
static loc_status write_jobs(loc_ctx *ctx, const out_src *src, cli_stage *st, cli_progress *pr)
{
    out_pool pl;
    char paths[NOUT][4200];
    memset(&pl, 0, sizeof pl);
    for (size_t k = 0; k < NOUT; k++)
        snprintf(paths[k], sizeof paths[k], "%s", cli_stage_path(st, OUT_JOBS[k].name));
    pl.src = src;
    pl.a = src->a;
    pl.paths = paths;
    pl.prefix = cli_msg_prefix;
    if (pthread_mutex_init(&pl.lock, NULL) != 0)
        return loc_error(ctx, LOC_ENOMEM, "cannot start the writers: out of resources");
    pthread_t tid[MAX_WRITERS];
    size_t started = 0, nthreads = writer_count(src->a);
    /* this thread writes too; a thread that cannot start leaves its share
     * to the others */
    while (started + 1 < nthreads && pthread_create(&tid[started], NULL, writer_main, &pl) == 0)
        started++;
    writer_main(&pl);
    for (size_t t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
    pthread_mutex_destroy(&pl.lock);
    loc_status rc = LOC_OK;
    for (size_t k = 0; k < NOUT; k++) {
        if (pl.st[k] && !rc)
            rc = loc_error(ctx, pl.st[k], "%s", pl.err[k] ? pl.err[k] : "out of memory");
        free(pl.err[k]);
    }
    if (!rc)
        for (size_t k = 0; k < NOUT; k++)
            cli_time_file(pr, OUT_JOBS[k].name, pl.s[k]);
    return rc;
}

int cli_write_outputs(loc_ctx *ctx, const cli_args *a, const loc_inputs *in, const loc_problem *b,
                      const loc_partition *p, const loc_assess *as, const char *out, cli_progress *pr,
                      cli_stage *st, const cli_extra_writer *extra)
{
    loc_dissolved *d = NULL;
    loc_attrs *t = NULL;
    int rc = CLI_EXIT_OK;
    cli_step(pr, "dissolving %zu localities", loc_partition_count(p));
    if (!(d = loc_dissolve(ctx, p, in->boundaries, NULL)) || !(t = make_attrs(ctx, in->zones, p, as)) ||
        (extra && extra->attrs && extra->attrs(ctx, extra->ud, t))) {
        rc = cli_fail(ctx);
        goto done;
    }
    cli_step(pr, "writing outputs to '%s'", out);
    if ((rc = cli_stage_open(st, out, a)))
        goto done;
    out_src src = {a, in, b, p, as, d, t};
    if (write_jobs(ctx, &src, st, pr) || (extra && extra->write && extra->write(ctx, extra->ud, st))) {
        rc = cli_fail(ctx);
        goto done;
    }
    cli_step(pr, "moving outputs into place");
    rc = cli_stage_commit(st);
done:
    loc_attrs_destroy(t);
    loc_dissolved_destroy(d);
    return rc;
}

/* --ensemble: the plans' results, written into the stage with the rest. */
typedef struct ensemble_out {
    loc_ensemble *e;
    const loc_partition *p;
    const loc_assess *as;
    double seconds;
} ensemble_out;

static loc_status write_ensemble(loc_ctx *ctx, void *ud, cli_stage *st)
{
    ensemble_out *eo = ud;
    char zones[4200], locs[4200]; /* cli_stage_path's answer lasts until its next call */
    snprintf(zones, sizeof zones, "%s", cli_stage_path(st, "ensemble_zones.csv"));
    loc_status rc = loc_ensemble_write_csv(ctx, eo->e, eo->p, eo->as, zones,
                                           cli_stage_path(st, "ensemble_localities.csv"));
    if (rc)
        return rc;
    /* and the columns in the staged zones.csv and localities.csv (staged
     * already: not registered again) */
    snprintf(zones, sizeof zones, "%s/zones.csv", st->dir);
    snprintf(locs, sizeof locs, "%s/localities.csv", st->dir);
    return loc_ensemble_append_columns(ctx, eo->e, eo->p, zones, locs);
}

/* The ensemble's columns on each locality of the GeoJSON and GeoPackage. */
static loc_status ensemble_attrs(loc_ctx *ctx, void *ud, loc_attrs *t)
{
    ensemble_out *eo = ud;
    size_t cs, ch, cr;
    loc_status st;
    if ((st = loc_attrs_add(ctx, t, "plans_similar", LOC_ATTR_INT, &cs)) ||
        (st = loc_attrs_add(ctx, t, "flag_holds_share", LOC_ATTR_REAL, &ch)) ||
        (st = loc_attrs_add(ctx, t, "residents_flagged_share", LOC_ATTR_REAL, &cr)))
        return st;
    for (size_t k = 0; k < loc_partition_count(eo->p); k++) {
        double h = loc_ensemble_flag_holds(eo->e, k), r = loc_ensemble_locality_share(eo->e, eo->p, k);
        if ((st = loc_attrs_set_int(ctx, t, cs, k, (int64_t)loc_ensemble_similar(eo->e, k))) ||
            (!isnan(h) && (st = loc_attrs_set_real(ctx, t, ch, k, h))) ||
            (!isnan(r) && (st = loc_attrs_set_real(ctx, t, cr, k, r))))
            return st;
    }
    return LOC_OK;
}

/* Residents by the share of plans flagging their zone: at least 90%,
 * 10 to 90%, under 10%. */
static void print_ensemble(FILE *f, const loc_inputs *in, const ensemble_out *eo)
{
    const double *share = loc_ensemble_zone_share(eo->e), *pop = loc_zones_population(in->zones);
    double hi = 0, mid = 0, lo = 0;
    for (size_t r = 0; r < loc_zones_count(in->zones); r++) {
        if (isnan(share[r]))
            continue;
        double w = isnan(pop[r]) ? 0 : pop[r];
        if (share[r] >= 0.9)
            hi += w;
        else if (share[r] >= 0.1)
            mid += w;
        else
            lo += w;
    }
    char a[32], b[32], c[32];
    fprintf(f, "  ensemble   %zu plans (%.1f s): %s residents in zones flagged in 90%% of plans or more, %s in 10-90%%, "
               "%s under 10%%\n",
            loc_ensemble_plans(eo->e), eo->seconds, cli_count(a, sizeof a, hi), cli_count(b, sizeof b, mid),
            cli_count(c, sizeof c, lo));
}

int cli_run_pipeline(loc_ctx *ctx, cli_args *a, const char *out, FILE *summary)
{
    ensemble_out eo = {0};
    cli_extra_writer extra = {write_ensemble, &eo, ensemble_attrs};
    cli_progress pr;
    cli_progress_init(&pr, a, 6);
    loc_inputs in;
    loc_problem b;
    cli_stage st;
    loc_assess_opts ao;
    loc_assess *as = NULL;
    int rc;
    memset(&in, 0, sizeof in);
    memset(&b, 0, sizeof b);
    memset(&st, 0, sizeof st);
    double nplans = 0;
    if ((rc = cli_assess_opts(a, &ao)) || (rc = cli_build_check(a)) ||
        (a->ensemble && (rc = cli_number("run", "ensemble", a->ensemble, 1, 1000, &nplans))))
        return rc;
    cli_step(&pr, "loading '%s' and '%s'", a->boundaries, a->indicators);
    if ((rc = cli_load(ctx, a, &in)))
        goto done;
    cli_step(&pr, "building localities of %zu study zones", loc_zones_nstudy(in.zones));
    if ((rc = cli_build(ctx, a, &in, &b)))
        goto done;
    cli_step(&pr, "assessing %zu localities on %zu indicators", loc_partition_count(b.partition),
             loc_zones_nindicators(in.zones));
    cli_spread_groups(a, &b, &ao);
    if (!(as = loc_assess_run(ctx, in.zones, b.partition, &ao, b.graph, b.rows))) {
        rc = cli_fail(ctx);
        goto done;
    }
    if (nplans > 0) {
        loc_ensemble_opts eopts;
        loc_ensemble_opts_init(&eopts);
        eopts.plans = (size_t)nplans;
        loc_build_grouping gr[LOC_BUILD_MAX_GROUPINGS];
        loc_build_input ein = b.input;
        ein.ngroupings = loc_problem_groupings(&b, gr);
        ein.groupings = gr;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (!(eo.e = loc_ensemble_run(ctx, &ein, &b.opts, &eopts, in.zones, b.rows, &ao, b.partition, as))) {
            rc = cli_fail(ctx);
            goto done;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        eo.seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        eo.p = b.partition;
        eo.as = as;
    }
    if ((rc = cli_write_outputs(ctx, a, &in, &b, b.partition, as, out, &pr, &st, eo.e ? &extra : NULL)))
        goto done;
    cli_progress_done(&pr);
    const loc_build_stats *s = loc_build_stats_get(b.result);
    char n1[32];
    double total = 0;
    for (size_t l = 0; l < loc_partition_count(b.partition); l++)
        total += loc_partition_population(b.partition, l);
    /* councils of the zones (the graph's may be council x nest group) */
    size_t ncouncils = 0;
    for (size_t c = 0; c < loc_zones_ncouncils(in.zones); c++)
        for (size_t l = 0; l < loc_partition_count(b.partition); l++)
            if (loc_partition_council(b.partition, l) == (int32_t)c) {
                ncouncils++;
                break;
            }
    fprintf(summary, "localities   %zu from %zu zones (%s residents) in %zu council%s\n",
            loc_partition_count(b.partition), b.n, cli_count(n1, sizeof n1, total), ncouncils,
            ncouncils == 1 ? "" : "s");
    fprintf(summary, "  quality    R^2 %.3f over %s; ", s->r2, b.nfeat ? b.feat_names : "no features");
    if (has_soft(&b))
        fprintf(summary, "%.1f%% of soft groups kept whole\n", 100 * (1 - s->soft_split));
    else
        fprintf(summary, "%s\n", b.ngroupings ? "no soft grouping" : "no grouping respected");
    cli_print_codes_kept(summary, a->codes_from, &b);
    cli_print_feasibility(summary, &b);
    if (eo.e)
        print_ensemble(summary, &in, &eo);
    cli_print_assessment(summary, &in, b.partition, as);
    fprintf(summary, "\nwrote        %s/:", out);
    for (size_t k = 0; k < st.nnames; k++)
        fprintf(summary, " %s", st.names[k]);
    fprintf(summary, "\n");
done:
    if (rc) {
        cli_stage_abort(&st);
        cli_progress_done(&pr);
    }
    loc_ensemble_destroy(eo.e);
    loc_assess_destroy(as);
    loc_problem_free(&b);
    loc_inputs_free(&in);
    return rc;
}

int cmd_run(loc_ctx *ctx, cli_args *a)
{
    if (a->npositional)
        return cli_usage_error("run", "unexpected argument '%s'", a->positional[0]);
    int rc = cli_apply_defaults(a);
    if (rc)
        return rc;
    return cli_run_pipeline(ctx, a, a->out ? a->out : DEFAULT_OUT, stdout);
}

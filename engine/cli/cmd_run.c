/*
 * `localities run`: the main job.  Load, build the graph and the
 * localities, assess them, and write every output.  All files are written
 * into a staging folder inside --out and moved into place only when every
 * one of them is complete, so a failed run leaves the previous outputs
 * untouched.  Progress goes to stderr: a line per stage that rewrites
 * itself on a terminal, plain log lines otherwise (and nothing with
 * --quiet).
 */
#include "cli.h"

#include "localities/ensemble.h"

#include "localities/writers.h"
#include "localities/sha256.h"

#include <math.h>

#include <dirent.h>
#include <errno.h>
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

void cli_progress_init(cli_progress *p, const cli_args *a, int stages)
{
    memset(p, 0, sizeof *p);
    p->quiet = a->quiet;
    p->tty = isatty(2) && !cli_msg_prefix; /* runs of a batch share the terminal */
    p->stages = stages;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    p->t0 = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_step(cli_progress *p, const char *fmt, ...)
{
    if (p->quiet)
        return;
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
    if (!p->quiet && p->tty)
        fprintf(stderr, "\r\033[K");
}

/* ---------------------------------------------------------------------
 * Staging folder
 * --------------------------------------------------------------------- */

int cli_stage_open(cli_stage *s, const char *out, const cli_args *args)
{
    memset(s, 0, sizeof *s);
    s->out = out;
    s->args = args;
    struct stat sb;
    s->made_out = stat(out, &sb) != 0; /* a failed run removes the folder it made */
    if (cli_make_out_dir(out))
        return CLI_EXIT_DATA;
    snprintf(s->dir, sizeof s->dir, "%s/.localities-run-XXXXXX", out);
    if (!mkdtemp(s->dir)) {
        cli_error("cannot write in the output folder '%s': %s", out, strerror(errno));
        s->dir[0] = 0;
        return CLI_EXIT_DATA;
    }
    return CLI_EXIT_OK;
}

const char *cli_stage_path(cli_stage *s, const char *name)
{
    if (s->nnames < sizeof s->names / sizeof *s->names)
        s->names[s->nnames++] = name;
    snprintf(s->path, sizeof s->path, "%s/%s", s->dir, name);
    return s->path;
}

/* Remove the staging folder and whatever is in it. */
static void stage_remove(cli_stage *s)
{
    if (!s->dir[0])
        return;
    DIR *d = opendir(s->dir);
    if (d) {
        struct dirent *e;
        char p[4200];
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                /* a name that would not fit is not one we wrote */
                if (snprintf(p, sizeof p, "%s/%.255s", s->dir, e->d_name) < (int)sizeof p)
                    unlink(p);
            }
        closedir(d);
    }
    rmdir(s->dir);
    s->dir[0] = 0;
}

/* A JSON string. */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void iso_time(char *buf, size_t size, long long t)
{
    time_t tt = (time_t)t;
    struct tm tmv;
    gmtime_r(&tt, &tmv);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tmv);
}

/* One input of run.json: its role, path, size and SHA-256 (null when the
 * path is not a readable file, a folder of shapefiles for example). */
static void json_input(FILE *f, int *first, const char *role, const char *path)
{
    if (!path)
        return;
    struct stat sb;
    char hex[65] = "";
    uint64_t bytes = 0;
    loc_ctx *ctx = loc_ctx_create(NULL);
    int ok = ctx && stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && loc_sha256_file(ctx, path, hex, &bytes) == LOC_OK;
    loc_ctx_destroy(ctx);
    fputs(*first ? "\n    {\"role\": " : ",\n    {\"role\": ", f);
    *first = 0;
    json_str(f, role);
    fputs(", \"path\": ", f);
    json_str(f, path);
    if (ok) {
        fprintf(f, ", \"bytes\": %llu, \"sha256\": ", (unsigned long long)bytes);
        json_str(f, hex);
        fputc('}', f);
    } else {
        fputs(", \"bytes\": null, \"sha256\": null}", f);
    }
}

/* run.json in the staging folder: what ran, on what, and what it wrote. */
static int write_run_json(cli_stage *s)
{
    const cli_args *a = s->args;
    const char *path = cli_stage_path(s, "run.json");
    FILE *f = fopen(path, "wx");
    if (!f) {
        cli_error("cannot write '%s/run.json': %s", s->out, strerror(errno));
        return CLI_EXIT_DATA;
    }
    char t0[32], t1[32];
    long long now = (long long)time(NULL);
    iso_time(t0, sizeof t0, a->started ? a->started : now);
    iso_time(t1, sizeof t1, now);
    fputs("{\n  \"tool\": \"localities\",\n  \"version\": ", f);
    json_str(f, LOC_VERSION);
    fputs(",\n  \"command\": [", f);
    if (a->argv)
        for (int i = 0; i < a->argc; i++) {
            fputs(i ? ", " : "", f);
            json_str(f, a->argv[i]);
        }
    else {
        json_str(f, "localities");
        fputs(", ", f);
        json_str(f, a->command ? a->command : "");
    }
    fprintf(f, "],\n  \"started\": \"%s\",\n  \"finished\": \"%s\",\n  \"inputs\": [", t0, t1);
    int first = 1;
    json_input(f, &first, "boundaries", a->boundaries);
    json_input(f, &first, "indicators", a->indicators);
    json_input(f, &first, "spec", a->spec);
    for (size_t k = 0; k < a->nlookups; k++)
        json_input(f, &first, "lookup", a->lookups[k]);
    json_input(f, &first, "localities", a->localities);
    json_input(f, &first, "hold-localities", a->hold);
    fputs(first ? "],\n  \"outputs\": [" : "\n  ],\n  \"outputs\": [", f);
    for (size_t k = 0; k < s->nnames; k++) {
        char p2[8400];
        if (snprintf(p2, sizeof p2, "%s/%.255s", s->dir, s->names[k]) >= (int)sizeof p2)
            continue;
        if (strcmp(s->names[k], "run.json") && access(p2, F_OK) != 0)
            continue; /* a writer that chose to write nothing */
        fputs(k ? ", " : "", f);
        json_str(f, s->names[k]);
    }
    fputs("]\n}\n", f);
    if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0 || fclose(f) != 0) {
        cli_error("cannot write '%s/run.json': %s", s->out, strerror(errno));
        return CLI_EXIT_DATA;
    }
    return CLI_EXIT_OK;
}

/* The outputs the previous run.json in out lists (names only, at most
 * max), read back from the format write_run_json writes; 0 when there is
 * none or it is not ours. */
static size_t previous_outputs(const char *out, char names[][256], size_t max)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/run.json", out);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    if (!strstr(buf, "\"tool\": \"localities\""))
        return 0;
    char *p = strstr(buf, "\"outputs\": [");
    size_t got = 0;
    if (!p)
        return 0;
    p += strlen("\"outputs\": [");
    char *end = strchr(p, ']');
    while (got < max && end && (p = strchr(p, '"')) && p < end) {
        char *e = strchr(p + 1, '"');
        if (!e || (size_t)(e - p - 1) >= 256)
            break;
        memcpy(names[got], p + 1, (size_t)(e - p - 1));
        names[got][e - p - 1] = 0;
        got++;
        p = e + 1;
        while (*p == ',' || *p == ' ')
            p++;
        if (*p == ']')
            break;
    }
    return got;
}

int cli_stage_commit(cli_stage *s)
{
    char from[4200], to[4200];
    struct stat sb;
    char old[64][256];
    size_t nold = s->args ? previous_outputs(s->out, old, 64) : 0;
    if (s->args && write_run_json(s)) {
        stage_remove(s);
        return CLI_EXIT_DATA;
    }
    /* A target that is a folder would refuse its rename half-way through
     * the set: look before moving anything. */
    for (size_t k = 0; k < s->nnames; k++) {
        snprintf(to, sizeof to, "%s/%s", s->out, s->names[k]);
        if (stat(to, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            cli_error("cannot replace '%s': it is a folder; nothing was written", to);
            stage_remove(s);
            return CLI_EXIT_DATA;
        }
    }
    for (size_t k = 0; k < s->nnames; k++) {
        snprintf(from, sizeof from, "%s/%s", s->dir, s->names[k]);
        snprintf(to, sizeof to, "%s/%s", s->out, s->names[k]);
        if (access(from, F_OK) != 0)
            continue; /* a writer that chose to write nothing */
        if (rename(from, to) != 0) {
            cli_error("cannot move '%s' into place: %s", to, strerror(errno));
            stage_remove(s);
            return CLI_EXIT_DATA;
        }
    }
    /* what the previous run wrote and this one did not: gone, so that the
     * folder holds one run (a plain name, a regular file, never a folder) */
    for (size_t i = 0; i < nold; i++) {
        int ours = 0;
        for (size_t k = 0; k < s->nnames && !ours; k++)
            ours = strcmp(old[i], s->names[k]) == 0;
        if (ours || strchr(old[i], '/') || !strcmp(old[i], ".") || !strcmp(old[i], ".."))
            continue;
        snprintf(to, sizeof to, "%s/%s", s->out, old[i]);
        if (lstat(to, &sb) == 0 && S_ISREG(sb.st_mode))
            unlink(to);
    }
    stage_remove(s);
    return CLI_EXIT_OK;
}

void cli_stage_abort(cli_stage *s)
{
    stage_remove(s);
    if (s->made_out && s->out)
        rmdir(s->out); /* only when empty: never what someone put there meanwhile */
    s->made_out = 0;
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
static int has_soft(const cli_built *b)
{
    for (size_t k = 0; k < b->ngroupings; k++)
        if (b->hard[k] == 0)
            return 1;
    return 0;
}

static loc_status write_report(loc_ctx *ctx, const cli_args *a, const cli_inputs *in, const cli_built *b,
                               const loc_partition *p, const loc_assess *as, const loc_dissolved *d,
                               const loc_attrs *t, const char *path)
{
    funnels fs;
    if (make_funnels(in->zones, p, as, &fs)) {
        free_funnels(&fs);
        return loc_error(ctx, LOC_ENOMEM, "out of memory");
    }
    /* income rather than the deprivation share: most localities hold no
     * zone of the most deprived fifth, and a map of mostly zeros shows
     * little */
    const char *value_col = loc_attrs_find(t, "income") >= 0 ? "income"
                            : loc_attrs_find(t, "simd_most_deprived_20") >= 0 ? "simd_most_deprived_20"
                                                                             : NULL;
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
    loc_status st = loc_write_report(ctx, d, t, &ro, path);
    free_funnels(&fs);
    free(ri);
    return st;
}

int cli_write_outputs(loc_ctx *ctx, const cli_args *a, const cli_inputs *in, const cli_built *b,
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
    const char *layer = loc_boundaries_layer(in->boundaries), *field = loc_boundaries_zone_field(in->boundaries);
    if (loc_partition_write_zones_csv(ctx, p, cli_stage_path(st, "zones.csv")) ||
        loc_assess_write_localities(ctx, as, cli_stage_path(st, "localities.csv")) ||
        loc_assess_write_indicators(ctx, as, cli_stage_path(st, "indicators.csv")) ||
        loc_assess_write_dispersion(ctx, as, cli_stage_path(st, "overdispersion.csv")) ||
        loc_graph_write_csv(ctx, b->graph, b->codes, cli_stage_path(st, "graph.csv")) ||
        loc_graph_write_gal(ctx, b->graph, b->codes, cli_stage_path(st, "graph.gal"), layer, field) ||
        loc_graph_write_gwt(ctx, b->graph, b->codes, cli_stage_path(st, "graph.gwt"), layer, field) ||
        loc_write_geojson(ctx, d, t, cli_stage_path(st, "localities.geojson")) ||
        loc_write_gpkg(ctx, d, t, cli_stage_path(st, "localities.gpkg")) ||
        write_report(ctx, a, in, b, p, as, d, t, cli_stage_path(st, "report.html")) ||
        (b->feasibility && loc_feasibility_write_csv(ctx, b->feasibility, b->nfeasibility, &b->input, &b->opts,
                                                     in->zones, cli_stage_path(st, "feasibility.csv"))) ||
        (extra && extra->write && extra->write(ctx, extra->ud, st))) {
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
    char zones[4096], locs[4096]; /* cli_stage_path's answer lasts until its next call */
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
static void print_ensemble(FILE *f, const cli_inputs *in, const ensemble_out *eo)
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
    cli_inputs in;
    cli_built b;
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
        ein.ngroupings = cli_build_groupings(&b, gr);
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
    cli_built_free(&b);
    cli_inputs_free(&in);
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

/*
 * The commands' options turned into the engine's settings: numbers
 * checked against their bounds, the build's options into the problem's
 * (pipeline.h), --respect FILE:COLUMN:KIND, --snap, and the assessment's
 * options.  Every slip is a usage error naming the option, found before
 * any input is loaded.
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Parse a number option: finite, within [lo, hi]. */
int cli_number(const char *cmd, const char *opt, const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(d) || d < lo || d > hi)
        return cli_usage_error(cmd, "--%s needs a number from %g to %g, not '%s'", opt, lo, hi, v);
    *out = d;
    return CLI_EXIT_OK;
}

/* --localities-per-council takes a number, or a CSV of counts per council:
 * anything that is not a number and names a file. */
static int per_council_is_file(const char *v)
{
    char *end;
    strtod(v, &end);
    struct stat sb;
    return (end == v || *end) && stat(v, &sb) == 0;
}

static int parse_build_opts(const char *cmd, const cli_args *a, loc_build_opts *o)
{
    loc_build_opts_init(o);
    double d;
    int rc = CLI_EXIT_OK;
    if (a->max_pop && !(rc = cli_number(cmd, "max-pop", a->max_pop, 1, 1e9, &d)))
        o->max_pop = d;
    if (!rc && a->min_pop && !(rc = cli_number(cmd, "min-pop", a->min_pop, 0, 1e9, &d)))
        o->min_pop = d;
    if (!rc && a->seed && !(rc = cli_number(cmd, "seed", a->seed, 0, 9007199254740992.0, &d)))
        o->seed = (uint64_t)d;
    if (!rc && a->threads && !(rc = cli_number(cmd, "threads", a->threads, 1, 64, &d)))
        o->threads = (int)d;
    if (!rc && a->starts && !(rc = cli_number(cmd, "starts", a->starts, 0, 1000, &d)))
        o->starts = (int)d;
    if (!rc && a->w_het && !(rc = cli_number(cmd, "w-het", a->w_het, 0, 1e6, &d)))
        o->w_het = d;
    if (!rc && a->w_compact && !(rc = cli_number(cmd, "w-compact", a->w_compact, 0, 1e6, &d)))
        o->w_compact = d;
    if (!rc && a->w_soft && !(rc = cli_number(cmd, "w-soft", a->w_soft, 0, 1e6, &d)))
        o->w_soft = d;
    if (!rc && a->target_pop && !(rc = cli_number(cmd, "target-pop", a->target_pop, 1, 1e9, &d)))
        o->target_pop = d;
    if (!rc && a->per_council && !per_council_is_file(a->per_council)) {
        char *end;
        d = strtod(a->per_council, &end);
        if (end == a->per_council || *end || !(d >= 1 && d <= 1e6))
            rc = cli_usage_error(cmd, "--localities-per-council needs a number from 1 to 1000000 or a CSV file of "
                                      "counts per council, not '%s'", a->per_council);
        else
            o->localities_per_council = (size_t)d;
    }
    if (!rc && a->target_pop && a->per_council)
        rc = cli_usage_error(cmd, "--target-pop and --localities-per-council ask for the same thing: give one");
    if (!rc && o->min_pop > o->max_pop)
        rc = cli_usage_error(cmd, "--min-pop (%g) is above --max-pop (%g)", o->min_pop, o->max_pop);
    return rc;
}

/* One --respect value, FILE:COLUMN:hard|soft, split at its last two
 * colons (a path may hold colons).  Checked before any input is loaded,
 * so a typing slip costs nothing. */
static int parse_respect(const char *cmd, const char *spec, char *path, size_t npath, char *column, size_t ncolumn,
                         int *hard)
{
    const char *c2 = strrchr(spec, ':');
    const char *c1 = NULL;
    for (const char *q = spec; c2 && q < c2; q++)
        if (*q == ':')
            c1 = q;
    if (!c1 || (strcmp(c2 + 1, "hard") != 0 && strcmp(c2 + 1, "soft") != 0 && strcmp(c2 + 1, "nest") != 0) ||
        c1 == spec || c2 == c1 + 1)
        return cli_usage_error(cmd, "--respect needs FILE:COLUMN:hard, FILE:COLUMN:soft or FILE:COLUMN:nest, not '%s'",
                               spec);
    if ((size_t)(c1 - spec) >= npath || (size_t)(c2 - c1 - 1) >= ncolumn)
        return cli_usage_error(cmd, "--respect: the file or column name is too long in '%s'", spec);
    snprintf(path, npath, "%.*s", (int)(c1 - spec), spec);
    snprintf(column, ncolumn, "%.*s", (int)(c2 - c1 - 1), c1 + 1);
    *hard = strcmp(c2 + 1, "hard") == 0 ? LOC_RESPECT_HARD : strcmp(c2 + 1, "nest") == 0 ? LOC_RESPECT_NEST
                                                                               : LOC_RESPECT_SOFT;
    return CLI_EXIT_OK;
}

int cli_snap_opts(const cli_args *a, loc_graph_opts *go)
{
    if (!a->snap || !strcmp(a->snap, "auto"))
        return CLI_EXIT_OK; /* loc_graph_opts_init's: chosen from the data where the coverage is not clean */
    char *end;
    errno = 0;
    double d = strtod(a->snap, &end);
    if (end == a->snap || *end || errno || !isfinite(d) || d < 0 || d > 1000)
        return cli_usage_error(a->command, "--snap needs a distance in metres from 0 to 1000 or 'auto', not '%s'",
                               a->snap);
    go->snap_auto = 0;
    go->snap_m = d;
    return CLI_EXIT_OK;
}

int cli_build_check(const cli_args *a)
{
    loc_build_opts o;
    loc_graph_opts go;
    loc_graph_opts_init(&go);
    int rc = parse_build_opts(a->command, a, &o);
    if (!rc)
        rc = cli_snap_opts(a, &go);
    for (size_t r = 0; !rc && r < a->nrespect; r++) {
        char path[4096], column[256];
        int hard;
        if (strcmp(a->respect[r], "none") != 0)
            rc = parse_respect(a->command, a->respect[r], path, sizeof path, column, sizeof column, &hard);
    }
    return rc;
}

/* --respect FILE:COLUMN:hard|soft|nest values into buf (po points into
 * it); "none" respects nothing. */
static int respect_opts(const cli_args *a, cli_respect *buf, loc_problem_opts *po)
{
    for (size_t r = 0; r < a->nrespect; r++) {
        if (strcmp(a->respect[r], "none") == 0) {
            po->respect_none = !po->nrespect; /* "none" after others ends the list */
            return CLI_EXIT_OK;
        }
        int kind, rc = parse_respect(a->command, a->respect[r], buf->path[r], sizeof buf->path[r], buf->column[r],
                                     sizeof buf->column[r], &kind);
        if (rc)
            return rc;
        buf->r[r] = (loc_respect){buf->path[r], buf->column[r], (loc_respect_kind)kind};
        po->respect = buf->r;
        po->nrespect = r + 1;
    }
    return CLI_EXIT_OK;
}

int cli_assess_opts(const cli_args *a, loc_assess_opts *o)
{
    loc_assess_opts_init(o);
    const char *cmd = a->command;
    double d;
    int rc = CLI_EXIT_OK;
    if (a->confidence && !(rc = cli_number(cmd, "confidence", a->confidence, 0.5, 0.999999, &d)))
        o->conf = d;
    if (!rc && a->fdr && !(rc = cli_number(cmd, "fdr", a->fdr, 0, 0.5, &d)))
        o->fdr = d;
    /* an effect given here is the analyst's for every indicator: the
     * spec's own effects give way to it */
    if (a->min_effect || a->min_effect_abs) {
        o->effects_from_spec = 0;
        o->min_effect_rel = 0;
    }
    if (!rc && a->min_effect && !(rc = cli_number(cmd, "min-effect", a->min_effect, 0, 10, &d)))
        o->min_effect_rel = d;
    if (!rc && a->min_effect_abs && !(rc = cli_number(cmd, "min-effect-abs", a->min_effect_abs, 0, 1e9, &d)))
        o->min_effect_abs = d;
    if (!rc && a->plan_min && !(rc = cli_number(cmd, "plan-min", a->plan_min, 1, 1000, &d)))
        o->plan_min_poorer = (size_t)d;
    if (!rc && a->plan_domains && !(rc = cli_number(cmd, "plan-domains", a->plan_domains, 0, 100, &d)))
        o->plan_min_domains = (size_t)d;
    if (!rc && a->overdispersion) {
        if (strcmp(a->overdispersion, "none") == 0)
            o->od = LOC_OD_NONE;
        else if (strcmp(a->overdispersion, "multiplicative") == 0)
            o->od = LOC_OD_MULTIPLICATIVE;
        else if (strcmp(a->overdispersion, "additive") == 0)
            o->od = LOC_OD_ADDITIVE;
        else if (strcmp(a->overdispersion, "zones") == 0)
            o->od = LOC_OD_ZONES;
        else
            rc = cli_usage_error(cmd, "--overdispersion must be none, multiplicative, additive or zones, not '%s'",
                                 a->overdispersion);
    }
    if (!rc && a->spread && strcmp(a->spread, "localities") != 0 && strcmp(a->spread, "respected") != 0)
        rc = cli_usage_error(cmd, "--spread must be localities or respected, not '%s'", a->spread);
    if (!rc && a->fdr_method) {
        if (strcmp(a->fdr_method, "by") == 0)
            o->fdr_method = LOC_FDR_BY;
        else if (strcmp(a->fdr_method, "bh") == 0)
            o->fdr_method = LOC_FDR_BH;
        else
            rc = cli_usage_error(cmd, "--fdr-method must be by or bh, not '%s'", a->fdr_method);
    }
    if (!rc && a->max_pop && !(rc = cli_number(cmd, "max-pop", a->max_pop, 1, 1e9, &d)))
        o->max_pop = d;
    return rc;
}

void cli_spread_groups(const cli_args *a, const loc_problem *b, loc_assess_opts *o)
{
    if (!a->spread || strcmp(a->spread, "respected") != 0)
        return;
    for (size_t k = 0; k < b->ngroupings; k++)
        if (b->kind[k] == LOC_RESPECT_SOFT && b->groupings[k]) {
            o->spread_group = b->groupings[k]->member;
            o->nspread_groups = b->groupings[k]->ngroups;
            return;
        }
}

int cli_problem_opts(const cli_args *a, cli_respect *rb, loc_problem_opts *po)
{
    memset(po, 0, sizeof *po);
    loc_graph_opts_init(&po->graph);
    po->graph.queen = a->queen;
    int rc = parse_build_opts(a->command, a, &po->build);
    if (!rc)
        rc = cli_snap_opts(a, &po->graph);
    if (!rc)
        rc = respect_opts(a, rb, po);
    po->build_indicators = a->build_indicators;
    po->area_counts = a->per_council && per_council_is_file(a->per_council) ? a->per_council : NULL;
    po->codes_from = a->codes_from;
    return rc;
}

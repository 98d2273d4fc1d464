/*
 * `localities build`: zones -> localities.  Turns the options into the
 * engine's problem options (pipeline.h: loc_problem_build does the
 * graph, the build and the naming), writes zones.csv and feasibility.csv
 * as one set, and prints a summary per council an analyst can check: how
 * many localities, their populations, how well they follow deprivation,
 * how many natural communities were kept whole.  cli_build is shared with
 * `run`.
 */
#include "cli.h"


#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_OUT "localities-out"

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

/* --respect FILE:COLUMN:hard|soft|nest values into r[CLI_MAX_REPEAT]
 * (pointing into buf's rows); "none" respects nothing. */
typedef struct respect_buf {
    loc_respect r[CLI_MAX_REPEAT];
    char path[CLI_MAX_REPEAT][4096], column[CLI_MAX_REPEAT][256];
} respect_buf;

static int respect_opts(const cli_args *a, respect_buf *buf, loc_problem_opts *po)
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

int cli_graph_only(loc_ctx *ctx, const cli_args *a, const loc_inputs *in, loc_problem *b)
{
    memset(b, 0, sizeof *b);
    loc_graph_opts go;
    loc_graph_opts_init(&go);
    go.queen = a->queen;
    int rc = cli_snap_opts(a, &go);
    if (rc)
        return rc;
    return loc_problem_graph(ctx, in, &go, b) ? cli_fail(ctx) : CLI_EXIT_OK;
}

int cli_write_feasibility(loc_ctx *ctx, const loc_inputs *in, const loc_problem *b, const char *path)
{
    if (!b->feasibility)
        return CLI_EXIT_OK; /* localities given, not built */
    if (loc_feasibility_write_csv(ctx, b->feasibility, b->nfeasibility, &b->input, &b->opts, in->zones, path))
        return cli_fail(ctx);
    return CLI_EXIT_OK;
}

void cli_print_feasibility(FILE *f, const loc_problem *b)
{
    size_t councils = 0, ceiling = 0, low_councils = 0, low_parts = 0, in_councils = 0;
    for (size_t r = 0; r < b->nfeasibility; r++) {
        const loc_feasibility *x = &b->feasibility[r];
        if (x->component == 0) {
            councils++;
            ceiling += !x->ceiling_holds;
            low_councils += !x->floor_holds;
            int any = 0;
            for (size_t q = r + 1; q < b->nfeasibility && b->feasibility[q].component; q++)
                any |= !b->feasibility[q].floor_holds;
            in_councils += any;
        } else {
            low_parts += !x->floor_holds;
        }
    }
    if (!b->feasibility || (!ceiling && !low_councils && !low_parts))
        return;
    fprintf(f, "  bounds     %zu of %zu councils with a zone or hard group above the ceiling, %zu below the floor; "
               "%zu parts cut off by water below the floor, in %zu councils (feasibility.csv)\n",
            ceiling, councils, low_councils, low_parts, in_councils);
}

void cli_print_codes_kept(FILE *f, const char *codes_from, const loc_problem *b)
{
    if (!codes_from)
        return;
    size_t nl = loc_partition_count(b->partition);
    fprintf(f, "  codes      %zu of %zu kept from '%s' (%.0f%% or more of residents shared), %zu new\n", b->codes_kept,
            nl, codes_from, 100 * LOC_KEEP_CODE_OVERLAP, nl - b->codes_kept);
}

int cli_build(loc_ctx *ctx, const cli_args *a, const loc_inputs *in, loc_problem *b)
{
    memset(b, 0, sizeof *b);
    loc_problem_opts po = {0};
    loc_graph_opts_init(&po.graph);
    po.graph.queen = a->queen;
    respect_buf *rb = malloc(sizeof *rb);
    if (!rb) {
        cli_error("out of memory");
        return CLI_EXIT_DATA;
    }
    int rc = parse_build_opts(a->command, a, &po.build);
    if (!rc)
        rc = cli_snap_opts(a, &po.graph);
    if (!rc)
        rc = respect_opts(a, rb, &po);
    if (!rc) {
        po.build_indicators = a->build_indicators;
        po.area_counts = a->per_council && per_council_is_file(a->per_council) ? a->per_council : NULL;
        po.codes_from = a->codes_from;
        if (loc_problem_build(ctx, in, &po, b))
            rc = cli_fail(ctx);
    }
    free(rb);
    return rc;
}

/* ---------------------------------------------------------------------
 * Summary
 * --------------------------------------------------------------------- */

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* A grouping's label with the folder left out: "file.csv:column". */
static const char *short_label(const char *label)
{
    const char *colon = strrchr(label, ':'), *slash = NULL;
    for (const char *q = label; *q && q < colon; q++)
        if (*q == '/')
            slash = q;
    return slash ? slash + 1 : label;
}

static void print_quality(const loc_inputs *in, const loc_problem *b)
{
    const loc_build_stats *s = loc_build_stats_get(b->result);
    const int32_t *lab = loc_build_labels(b->result);
    size_t nl = loc_build_count(b->result);
    printf("quality      R^2 of zone rates explained by locality means:");
    size_t which[2];
    const char *names[2];
    int nn = (int)loc_zones_indicators_with_role(in->zones, LOC_ROLE_BUILD, which, 2);
    for (int k = 0; k < nn; k++)
        names[k] = loc_zones_indicator(in->zones, which[k])->name;
    for (int k = 0; k < nn; k++) {
        double r2 = loc_problem_r2(b, in->zones, which[k], lab, nl);
        if (!isnan(r2))
            printf(" %s %.3f", names[k], r2);
    }
    printf("\n");
    if (b->ngroupings && b->kind[0] == LOC_RESPECT_SOFT) {
        /* the first soft grouping as localities, for comparison */
        const int32_t *m = b->member[0];
        size_t ng = b->groupings[0]->ngroups, present = 0;
        uint8_t *seen = calloc(ng ? ng : 1, 1);
        for (size_t i = 0; seen && i < b->n; i++)
            if (m[i] >= 0 && !seen[m[i]]) {
                seen[m[i]] = 1;
                present++;
            }
        free(seen);
        printf("  baseline   '%s' as localities (%zu):", short_label(b->groupings[0]->label), present);
        for (int k = 0; k < nn; k++) {
            double r2 = loc_problem_r2(b, in->zones, which[k], m, ng);
            if (!isnan(r2))
                printf(" %s %.3f", names[k], r2);
        }
        printf("\n");
    }
    for (size_t k = 0; k < b->ngroupings; k++) {
        size_t whole, total;
        loc_problem_kept_whole(b, k, -1, &whole, &total);
        printf("  kept whole %zu of %zu groups of '%s' (%.1f%%, %s)%s\n", whole, total, short_label(b->groupings[k]->label),
               total ? 100.0 * (double)whole / (double)total : 100.0, loc_respect_name(b->kind[k]),
               b->default_respect ? " [default: intermediate zones]" : "");
        if (b->kind[k] == LOC_RESPECT_NEST)
            printf("  nested     %zu of %zu localities within one group of '%s'\n", loc_problem_nested(b, k), nl,
                   short_label(b->groupings[k]->label));
    }
    printf("  objective  %.4f after construction, %.4f after greedy descent, %.4f final (%s)\n",
           s->objective_construct, s->objective_greedy, s->objective,
           s->best_start < 0 ? "no annealing start improved on the descent" : "an annealing start won");
    printf("  search     %llu moves costed, %llu made, %llu needed a contiguity search; "
           "construct %.3f s, descent %.3f s, annealing %.3f s\n",
           (unsigned long long)s->moves_evaluated, (unsigned long long)s->moves_made,
           (unsigned long long)s->contiguity_searches, s->t_construct_s, s->t_greedy_s, s->t_anneal_s);
}

static void print_summary(const cli_args *a, const loc_inputs *in, const loc_problem *b, const char *path)
{
    const loc_zones *z = in->zones;
    const loc_partition *p = b->partition;
    const loc_build_stats *s = loc_build_stats_get(b->result);
    size_t nl = loc_partition_count(p);
    char n1[32];
    double total = 0;
    for (size_t l = 0; l < nl; l++)
        total += loc_partition_population(p, l);
    printf("localities   %zu from %zu zones (%s residents), population ceiling %.0f, floor %.0f\n", nl, b->n,
           cli_count(n1, sizeof n1, total), b->opts.max_pop, b->opts.min_pop);
    if (b->opts.target_pop > 0)
        printf("  target     %.0f residents a locality (bounds 0.7 to 1.3 times it, within the ceiling and floor)\n",
               b->opts.target_pop);
    if (b->area_count)
        printf("  target     localities per council from '%s' (bounds 0.7 to 1.3 times its residents over the count, "
               "within the ceiling and floor)\n", a->per_council);
    if (b->opts.localities_per_council > 0)
        printf("  target     about %zu localities a council (bounds 0.7 to 1.3 times its residents over %zu, within "
               "the ceiling and floor)\n", b->opts.localities_per_council, b->opts.localities_per_council);
    printf("  features   %s (heterogeneity), weights: heterogeneity %g, compactness %g, soft splits %g; seed %llu, "
           "%d start%s\n",
           b->nfeat ? b->feat_names : "none", b->opts.w_het, b->opts.w_compact, b->opts.w_soft,
           (unsigned long long)b->opts.seed, b->opts.starts, b->opts.starts == 1 ? "" : "s");
    if (s->over_ceiling) {
        printf("  reported   %zu localit%s above the ceiling (a single zone or hard group each)\n", s->over_ceiling,
               s->over_ceiling == 1 ? "y" : "ies");
        /* most localities over the ceiling: the hard groups are too big */
        for (size_t k = 0; 4 * s->over_ceiling >= nl && k < b->ngroupings; k++)
            if (b->kind[k] == LOC_RESPECT_HARD) {
                printf("  hint       a grouping larger than a locality (wards, say) is better respected as "
                       "':nest': localities inside each group\n");
                break;
            }
    }
    if (s->under_floor)
        printf("  reported   %zu localit%s below the floor (no merge fitted under the ceiling)\n", s->under_floor,
               s->under_floor == 1 ? "y" : "ies");
    if (b->no_boundary)
        printf("  reported   %zu study zone%s without a boundary, in no locality\n", b->no_boundary,
               b->no_boundary == 1 ? "" : "s");
    cli_print_codes_kept(stdout, a->codes_from, b);
    cli_print_feasibility(stdout, b);
    print_quality(in, b);

    double *pops = malloc((nl ? nl : 1) * sizeof *pops);
    if (!pops)
        return;
    printf("\n%-10s %-26s %5s %8s %8s %8s %8s %8s %6s %6s %s\n", "council", "name", "local", "pop min", "quarter",
           "median", "3 qtrs", "max", "PP", "island", "kept whole");
    for (size_t c = 0; c < loc_zones_ncouncils(z); c++) {
        size_t k = 0;
        for (size_t l = 0; l < nl; l++)
            if (loc_partition_council(p, l) == (int32_t)c)
                pops[k++] = loc_partition_population(p, l);
        if (!k)
            continue;
        qsort(pops, k, sizeof *pops, cmp_double);
        double median = k % 2 ? pops[k / 2] : 0.5 * (pops[k / 2 - 1] + pops[k / 2]);
        /* the size distribution: quartiles by the nearest rank */
        double q1 = pops[(k + 3) / 4 - 1], q3 = pops[(3 * k + 3) / 4 - 1];
        char whole[64] = "-";
        size_t first = 0; /* the first grouping that can be kept whole or split */
        while (first < b->ngroupings && b->kind[first] == LOC_RESPECT_NEST)
            first++;
        if (first < b->ngroupings) {
            size_t w, t;
            loc_problem_kept_whole(b, first, (int32_t)c, &w, &t);
            snprintf(whole, sizeof whole, "%zu/%zu", w, t);
        }
        printf("%-10s %-26s %5zu %8.0f %8.0f %8.0f %8.0f %8.0f %6.3f %6zu %s\n", loc_zones_council_code(z, c),
               loc_zones_council_name(z, c), k, pops[0], q1, median, q3, pops[k - 1],
               loc_problem_compactness(b, (int32_t)c), loc_problem_islands(b, (int32_t)c), whole);
    }
    free(pops);
    printf("\nwrote        %s\n", path);
}

int cli_make_out_dir(const char *dir)
{
    struct stat sb;
    if (mkdir(dir, 0777) == 0)
        return CLI_EXIT_OK;
    if (errno == EEXIST) {
        if (stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode))
            return CLI_EXIT_OK;
        cli_error("the output folder '%s' exists and is not a folder", dir);
        return CLI_EXIT_DATA;
    }
    cli_error("cannot create the output folder '%s': %s", dir, strerror(errno));
    return CLI_EXIT_DATA;
}

int cmd_build(loc_ctx *ctx, cli_args *a)
{
    if (a->npositional)
        return cli_usage_error("build", "unexpected argument '%s'", a->positional[0]);
    if (a->from)
        return cmd_build_from(ctx, a); /* repair given localities: engine/cli/cmd_repair.c */
    int rc = cli_build_check(a);
    if (rc)
        return rc;
    if ((rc = cli_apply_defaults(a)))
        return rc;
    loc_inputs in;
    loc_problem b;
    memset(&b, 0, sizeof b);
    if ((rc = cli_load(ctx, a, &in)) || (rc = cli_build(ctx, a, &in, &b)))
        goto done;
    /* zones.csv and feasibility.csv change as one set, as run's outputs do */
    const char *dir = a->out ? a->out : DEFAULT_OUT;
    loc_outset st;
    if ((rc = cli_stage_open(ctx, &st, dir, a)))
        goto done;
    if (loc_partition_write_zones_csv(ctx, b.partition, loc_outset_path(&st, "zones.csv")) ||
        loc_feasibility_write_csv(ctx, b.feasibility, b.nfeasibility, &b.input, &b.opts, in.zones,
                                  loc_outset_path(&st, "feasibility.csv"))) {
        rc = cli_fail(ctx);
        loc_outset_abort(&st);
        goto done;
    }
    if ((rc = cli_stage_commit(&st)))
        goto done;
    char path[4200];
    snprintf(path, sizeof path, "%s/zones.csv", dir);
    print_summary(a, &in, &b, path);
done:
    loc_problem_free(&b);
    loc_inputs_free(&in);
    return rc;
}

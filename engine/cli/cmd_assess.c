/*
 * `localities assess --localities FILE`: the statistics for localities a
 * CPP already has, and the guidance checks (over 10,000 residents, not
 * contiguous, crossing a council boundary).  Also the assessment options
 * and summary shared with `run`.
 */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_OUT "localities-out"

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

/* Spiegelhalter's phi per tested indicator against Scotland, on one line
 * (the rest is in overdispersion.csv). */
static void print_dispersion(FILE *f, const loc_zones *z, const loc_assess *as)
{
    static const char *const how[] = {"none (counts as independent draws)", "multiplicative phi",
                                      "additive tau^2", "the zones' spread inside localities (design effect)"};
    fprintf(f, "  overdispersion  allowance: %s; phi against Scotland:", how[loc_assess_options(as)->od]);
    size_t shown = 0, n = 0;
    for (size_t j = 0; j < loc_zones_nindicators(z); j++) {
        if (!loc_assess_tested(as, j))
            continue;
        n++;
        if (shown >= 6)
            continue;
        const loc_assess_disp *d = loc_assess_dispersion(as, j, LOC_CMP_SCOTLAND);
        fprintf(f, "%s %s %.3g", shown ? "," : "", loc_zones_indicator(z, j)->name, d->phi);
        shown++;
    }
    if (n > shown)
        fprintf(f, " and %zu more", n - shown);
    fprintf(f, " (overdispersion.csv)\n");
}

void cli_spread_groups(const cli_args *a, const cli_built *b, loc_assess_opts *o)
{
    if (!a->spread || strcmp(a->spread, "respected") != 0)
        return;
    for (size_t k = 0; k < b->ngroupings; k++)
        if (b->hard[k] == 0 && b->groupings[k]) {
            o->spread_group = b->groupings[k]->member;
            o->nspread_groups = b->groupings[k]->ngroups;
            return;
        }
}

void cli_print_assessment(FILE *f, const cli_inputs *in, const loc_partition *p, const loc_assess *as)
{
    const loc_zones *z = in->zones;
    size_t nl = loc_partition_count(p), over = 0, cross = 0, discont = 0, checked = 0;
    for (size_t k = 0; k < nl; k++) {
        over += loc_assess_over_ceiling(as, k);
        cross += loc_assess_crosses_council(as, k);
        discont += loc_assess_discontiguous(as, k) == 1;
        checked += loc_assess_discontiguous(as, k) >= 0;
    }
    fprintf(f, "assessment   %zu localities x %zu indicators x 2 comparators: %zu tests\n", nl,
            loc_zones_nindicators(z), loc_assess_ntests(as));
    fprintf(f, "  rule       %s\n", loc_assess_rule(as));
    fprintf(f, "  plans      %zu of %zu localities qualify\n", loc_assess_nqualifying(as), nl);
    print_dispersion(f, z, as);
    fprintf(f, "  guidance   %zu over %.0f residents, %zu crossing a council boundary, ", over,
            loc_assess_options(as)->max_pop, cross);
    if (checked)
        fprintf(f, "%zu not contiguous\n", discont);
    else
        fprintf(f, "contiguity not checked (no boundaries)\n");
    /* the qualifying localities, most poorer indicators first, at most 40 */
    size_t shown = 0;
    for (size_t want = loc_zones_nindicators(z) * 2 + 1; want-- > 0 && shown < 40;)
        for (size_t k = 0; k < nl && shown < 40; k++) {
            size_t pc = loc_assess_poorer(as, k, LOC_CMP_COUNCIL_REST), ps = loc_assess_poorer(as, k, LOC_CMP_SCOTLAND);
            if (!loc_assess_qualifies(as, k) || pc + ps != want)
                continue;
            if (!shown)
                fprintf(f, "\n%-16s %-34s %9s %7s %7s  %s\n", "locality", "name", "residents", "poorer", "poorer",
                        "guidance");
            if (!shown)
                fprintf(f, "%-16s %-34s %9s %7s %7s\n", "", "", "", "council", "Scotland");
            shown++;
            char g[96] = "";
            if (loc_assess_over_ceiling(as, k))
                strcat(g, "over ceiling; ");
            if (loc_assess_discontiguous(as, k) == 1)
                strcat(g, "not contiguous; ");
            if (loc_assess_crosses_council(as, k))
                strcat(g, "crosses councils; ");
            size_t gl = strlen(g);
            if (gl >= 2)
                g[gl - 2] = 0; /* no separator after the last check */
            fprintf(f, "%-16s %-34.34s %9.0f %7zu %7zu  %s\n", loc_partition_code(p, k), loc_partition_name(p, k),
                    loc_partition_population(p, k), pc, ps, g);
            fprintf(f, "%-16s why: %s\n", "", loc_assess_reason(as, k));
        }
    if (loc_assess_nqualifying(as) > shown)
        fprintf(f, "... and %zu more in localities.csv\n", loc_assess_nqualifying(as) - shown);
}

int cmd_assess(loc_ctx *ctx, cli_args *a)
{
    if (a->npositional)
        return cli_usage_error("assess", "unexpected argument '%s'", a->positional[0]);
    if (!a->localities)
        return cli_usage_error("assess", "--localities FILE is required (a zone -> locality CSV)");
    loc_assess_opts ao;
    int rc = cli_assess_opts(a, &ao);
    if (rc)
        return rc;
    if ((rc = cli_apply_defaults(a)))
        return rc;
    cli_inputs in;
    cli_built b;
    cli_stage st;
    memset(&b, 0, sizeof b);
    memset(&st, 0, sizeof st);
    loc_lookup *lk = NULL;
    loc_partition *p = NULL;
    loc_assess *as = NULL;
    memset(&in, 0, sizeof in);
    /* The localities file is read first: a wrong file or column is
     * reported before the (slow) boundaries and indicators are loaded. */
    if (!(lk = loc_lookup_read(ctx, a->localities, NULL))) {
        rc = cli_fail(ctx);
        goto done;
    }
    if (a->locality_column && loc_lookup_col(lk, a->locality_column) < 0) {
        cli_error("'%s': no column '%s'", a->localities, a->locality_column);
        rc = CLI_EXIT_DATA;
        goto done;
    }
    if ((rc = cli_load(ctx, a, &in)))
        goto done;
    if (!(p = loc_partition_from_lookup(ctx, in.zones, lk, a->locality_column))) {
        rc = cli_fail(ctx);
        goto done;
    }
    if ((rc = cli_graph_only(ctx, a, &in, &b)))
        goto done;
    if (!(as = loc_assess_run(ctx, in.zones, p, &ao, b.graph, b.rows))) {
        rc = cli_fail(ctx);
        goto done;
    }
    const char *out = a->out ? a->out : DEFAULT_OUT;
    if ((rc = cli_stage_open(&st, out)))
        goto done;
    if (loc_assess_write_localities(ctx, as, cli_stage_path(&st, "localities.csv")) ||
        loc_assess_write_indicators(ctx, as, cli_stage_path(&st, "indicators.csv")) ||
        loc_assess_write_dispersion(ctx, as, cli_stage_path(&st, "overdispersion.csv")) ||
        loc_partition_write_zones_csv(ctx, p, cli_stage_path(&st, "zones.csv"))) {
        rc = cli_fail(ctx);
        goto done;
    }
    if ((rc = cli_stage_commit(&st)))
        goto done;
    cli_print_assessment(stdout, &in, p, as);
    printf("\nwrote        %s/: localities.csv indicators.csv overdispersion.csv zones.csv\n", out);
done:
    if (rc)
        cli_stage_abort(&st);
    loc_assess_destroy(as);
    loc_partition_destroy(p);
    loc_lookup_destroy(lk);
    cli_built_free(&b);
    cli_inputs_free(&in);
    return rc;
}

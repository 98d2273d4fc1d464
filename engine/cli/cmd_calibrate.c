/*
 * `localities calibrate`: the null experiment of the plan rule (see
 * calibrate.h).  Builds the localities as `run` does (or takes them from
 * --localities as `assess` does), assesses them on the real values, then
 * on --shuffles shuffles of the zone values within councils, and prints,
 * for every domain threshold K, the share of localities the rule flags on
 * the real data and under the null: the rule's measured error rate.
 */
#include "cli.h"
#include "localities/calibrate.h"

#include <stdlib.h>
#include <string.h>

int cmd_calibrate(loc_ctx *ctx, cli_args *a)
{
    if (a->npositional)
        return cli_usage_error("calibrate", "unexpected argument '%s'", a->positional[0]);
    loc_assess_opts ao;
    int rc = cli_assess_opts(a, &ao);
    if (rc)
        return rc;
    double d = 200;
    if (a->shuffles && (rc = cli_number("calibrate", "shuffles", a->shuffles, 1, 100000, &d)))
        return rc;
    size_t shuffles = (size_t)d;
    if (!a->localities && (rc = cli_build_check(a)))
        return rc;
    if ((rc = cli_apply_defaults(a)))
        return rc;
    loc_inputs in;
    loc_problem b;
    memset(&in, 0, sizeof in);
    memset(&b, 0, sizeof b);
    loc_lookup *lk = NULL;
    loc_partition *own = NULL;
    loc_assess *as = NULL;
    const loc_partition *p = NULL;
    if (a->localities && !(lk = loc_lookup_read(ctx, a->localities, NULL))) {
        rc = cli_fail(ctx);
        goto done;
    }
    if ((rc = cli_load(ctx, a, &in)))
        goto done;
    if (lk) {
        if (!(own = loc_partition_from_lookup(ctx, in.zones, lk, a->locality_column))) {
            rc = cli_fail(ctx);
            goto done;
        }
        p = own;
    } else {
        if ((rc = cli_build(ctx, a, &in, &b)))
            goto done;
        p = b.partition;
        cli_spread_groups(a, &b, &ao);
    }
    if (!(as = loc_assess_run(ctx, in.zones, p, &ao, NULL, NULL))) {
        rc = cli_fail(ctx);
        goto done;
    }
    uint64_t seed = 1;
    int threads = 2;
    if (a->seed) {
        double s;
        if ((rc = cli_number("calibrate", "seed", a->seed, 0, 1e15, &s)))
            goto done;
        seed = (uint64_t)s;
    }
    if (a->threads) {
        double t;
        if ((rc = cli_number("calibrate", "threads", a->threads, 1, 16, &t)))
            goto done;
        threads = (int)t;
    }
    size_t nl = loc_partition_count(p), share = 0;
    size_t real_plan[LOC_NULL_MAX_K + 1] = {0};
    for (size_t k = 0; k < nl; k++) {
        size_t dd = loc_assess_poorer_domains(as, k, LOC_CMP_COUNCIL_REST);
        size_t d2 = loc_assess_poorer_domains(as, k, LOC_CMP_SCOTLAND);
        if (d2 > dd)
            dd = d2;
        share += loc_assess_share_poorer(as, k);
        for (size_t kk = 1; kk <= LOC_NULL_MAX_K; kk++)
            real_plan[kk] += loc_assess_share_poorer(as, k) || dd >= kk;
    }
    printf("null experiment  %zu localities, %zu shuffles of the zone values (seed %llu)\n", nl, shuffles,
           (unsigned long long)seed);
    printf("  rule           %s\n", loc_assess_rule(as));
    printf("  real data      %zu of %zu localities qualify (%.1f%%); %zu by the deprivation share\n",
           loc_assess_nqualifying(as), nl, 100.0 * (double)loc_assess_nqualifying(as) / (double)(nl ? nl : 1), share);
    for (int across = 0; across < 2; across++) {
        loc_null_result r;
        if (loc_null_experiment(ctx, in.zones, p, &ao, shuffles, seed, threads, across, &r)) {
            rc = cli_fail(ctx);
            goto done;
        }
        printf("\n%s\n", across ? "shuffled across all of Scotland (the null of both comparators)"
                                 : "shuffled within each council (the null of the council comparison)");
        printf("  cells          tested cells poorer: %.2f%% against the rest of the council, %.2f%% against Scotland "
               "(better: %.2f%%, %.2f%%)\n",
               100 * r.cell_poorer[0], 100 * r.cell_poorer[1], 100 * r.cell_better[0], 100 * r.cell_better[1]);
        printf("  share route    %.2f%% of localities (%.2f%% against the rest of the council, %.2f%% against "
               "Scotland)\n",
               100 * r.share_route, 100 * r.share_cmp[0], 100 * r.share_cmp[1]);
        printf("%4s %14s %12s %12s %14s %14s\n", "K", "real plans", "null plans", "null worst", "null domains",
               "null domains");
        printf("%4s %14s %12s %12s %14s %14s\n", "", "", "", "", "council rest", "Scotland");
        for (size_t kk = 1; kk <= r.ndomains && kk <= LOC_NULL_MAX_K; kk++)
            printf("%4zu %8zu %4.1f%% %11.2f%% %11.2f%% %13.2f%% %13.2f%%%s\n", kk, real_plan[kk],
                   100.0 * (double)real_plan[kk] / (double)(nl ? nl : 1), 100 * r.plan_k[kk], 100 * r.plan_k_max[kk],
                   100 * r.domains_cmp_k[0][kk], 100 * r.domains_cmp_k[1][kk],
                   kk == ao.plan_min_domains ? "  <- --plan-domains" : "");
    }
done:
    loc_assess_destroy(as);
    loc_partition_destroy(own);
    loc_lookup_destroy(lk);
    loc_problem_free(&b);
    loc_inputs_free(&in);
    return rc;
}

/*
 * What the parts of `localities batch` share (private to the command
 * line): a run of the manifest, the batch, and the functions each part
 * gives the others: the manifest's reading (manifest.c), hold mode's run
 * and comparison (batch_hold.c), the runs in parallel (cmd_batch.c).
 */
#ifndef LOCALITIES_CLI_BATCH_H
#define LOCALITIES_CLI_BATCH_H

#include "cli.h"

#include "localities/compare.h"
#include "localities/overlay.h"

#include <pthread.h>

#define MAX_RUNS 64
/* Key indicators side by side in comparison.csv. */
#define NKEY 3
#define MAX_OPT_WORDS 64

typedef struct batch_run {
    size_t line;           /* manifest line, for messages */
    char name[128];
    char out[4096];
    char boundaries[4096], indicators[4096], spec[4096];
    char lookups[CLI_MAX_REPEAT][4096];
    size_t nlookups;
    char respect[8][4200];
    size_t nrespect;
    char zone_map[4096];   /* hold mode: zone -> held zone lookup, "" for the same zones */
    char map_from[128], map_to[128];
    char map_boundaries[4096]; /* hold mode: the held zones' boundaries, "" for none: carry by area overlay */
    loc_carry_overlay_opts map_opts; /* hold mode by area: zone_map_sliver_m, zone_map_weight */
    int year;              /* release year: the year column, else the first 4-digit number of the name; -1 none */
    loc_carry_stats carried; /* hold mode: how the zones were placed */
    char domains[512];     /* hold mode: the plan rule's domains, ", "-separated, and its threshold */
    size_t plan_domains;
    char optbuf[2048];     /* the options column, cut into words in place */
    char *words[MAX_OPT_WORDS + 1];
    int nwords;
    cli_args args;
    int rc;                /* exit status of the run; -1 not run */
    double secs;
    const char *const *key; /* hold mode: the key indicators to keep (the batch's) */
    size_t nkey;
    loc_ctx *ctx;          /* hold mode: the run's context, kept for its release */
    loc_release *release;  /* hold mode: the run's results for the comparison */
} batch_run;

typedef struct batch {
    batch_run *runs;
    size_t nruns, next;
    int fail_fast, failed, quiet;
    const char *hold;      /* --hold-localities FILE, or NULL: build in each run */
    loc_carry_rule rule;   /* --hold-rule */
    pthread_mutex_t lock;
    loc_spec *kspec;       /* hold mode: the spec the key indicators' names come from */
    const char *key[NKEY]; /* hold mode: comparison.csv's key indicators */
    size_t nkey;
} batch;

/* The rows of manifest m (read from mpath) as runs into bt->runs: the
 * columns checked, every row read, names and folders unique.  Rows that
 * cannot be read are reported and counted in *bad (with bt->fail_fast the
 * reading stops at the first).  Returns an exit status: not OK when the
 * manifest as a whole is unusable. */
int batch_manifest_runs(const loc_csv *m, const char *mpath, const char *out_root, batch *bt, size_t *bad);

/* Hold mode: the held localities carried onto run's release, assessed,
 * written, kept for the comparison (run->release); its summary to
 * summary.  An exit status, the error printed. */
int batch_hold_run(loc_ctx *ctx, batch_run *run, const char *hold, loc_carry_rule rule, FILE *summary);
/* Hold mode: the key indicators fixed before the runs start. */
void batch_key_indicators(loc_ctx *ctx, batch *bt);
/* Hold mode: comparison.csv in out_root and its summary on stdout. */
int batch_write_comparison(loc_ctx *ctx, const batch *bt, const char *out_root);

#endif

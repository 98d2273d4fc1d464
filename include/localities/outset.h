/*
 * A run's outputs changing as one set.  Every output is written into a
 * fresh staging folder beside the output folder (loc_outset_path gives
 * the path of a named file and remembers the name); the commit, holding a
 * lock on the output folder, carries over the files the user put there
 * and swaps the two folders in one rename, so that the output folder
 * holds all of the old set or all of the new one whenever a kill comes,
 * and two runs into one folder never mix.  Where the swap cannot be made
 * (a parent folder not writable, a file system without it, subfolders in
 * the output folder, the working folder inside it) the files are moved one
 * by one under the same lock.  Every single file is atomic on its own too
 * (each writer writes a temporary and renames it): a set is atomic as a
 * whole.  With a run record, the commit also writes run.json (the
 * command, the version, the inputs with their size and SHA-256, the
 * outputs, start and end) and drops the files the previous run.json
 * listed that this run did not write; files the user put there are kept.
 *
 * Test hooks: LOCALITIES_TEST_COMMIT_PAUSE_MS pauses that long before each
 * step of a commit, so that a test can kill the run at every step;
 * LOCALITIES_TEST_STAGE_PAUSE_MS once the staging folder is made, so that
 * a test can signal a run surely before its commit.
 */
#ifndef LOCALITIES_OUTSET_H
#define LOCALITIES_OUTSET_H

#include <stddef.h>

#include "localities/ctx.h"

/* What run.json records of a run (all borrowed until the commit). */
typedef struct loc_run_input {
    const char *role;   /* "boundaries", "indicators", "spec", "lookup", ... */
    const char *path;   /* NULL: not given (left out) */
} loc_run_input;

typedef struct loc_run_record {
    int argc;                   /* the command line; argv NULL: "localities" and command */
    char **argv;
    const char *command;
    long long started;          /* when the run started, seconds since 1970 (0: at the commit) */
    loc_run_input inputs[40];
    size_t ninputs;
} loc_run_record;

/* An output set being written.  Read the fields; change them only through
 * the functions below. */
typedef struct loc_outset {
    loc_ctx *ctx;          /* for messages: the context that opened it */
    loc_run_record rec;    /* run.json's content (a copy) */
    int has_rec;           /* 0: no run.json */
    int made_out;          /* 1 when opening the set created the output folder */
    int inside;            /* 1 when the staging folder is inside the output folder */
    int lockfd;            /* the staging folder, locked while in use (-1: none) */
    const char *out;       /* the output folder as given, for messages */
    char real[4096];       /* the output folder, symbolic links resolved */
    char dir[4096];        /* the staging folder ("" when none) */
    char path[4200];
    const char *names[32]; /* the files named so far, in order */
    size_t nnames;
} loc_outset;

/* Create the output folder when missing (its parent must exist) and a
 * staging folder for it; rec (may be NULL: no run.json) is copied.  A
 * staging folder of an earlier run that was killed is removed (with a
 * warning).  LOC_EIO naming the folder on failure, s left aborted. */
LOC_API loc_status loc_outset_open(loc_ctx *ctx, loc_outset *s, const char *out, const loc_run_record *rec);
/* The path of file name in the staging folder (name borrowed, remembered
 * as one of the set's outputs); valid until the next call. */
LOC_API const char *loc_outset_path(loc_outset *s, const char *name);
/* Move the set into place (see above); the staging folder is gone either
 * way.  LOC_EIO naming the output folder or file on failure. */
LOC_API loc_status loc_outset_commit(loc_outset *s);
/* Remove the staging folder, and the output folder when opening made it
 * and it is still empty; the previous outputs stay as they were.  Safe on
 * a set already committed or aborted, or zeroed. */
LOC_API void loc_outset_abort(loc_outset *s);
/* A failed set: ctx's error made to name the output folder rather than
 * the staging one, and the set aborted; returns st. */
LOC_API loc_status loc_outset_fail(loc_outset *s, loc_status st);
/* msg with an open staging folder's path replaced by its output folder
 * (in buf; msg itself when none is named), so that messages name the
 * files the user will look for. */
LOC_API const char *loc_outset_unstaged(const char *msg, char *buf, size_t size);
/* For a program stopped by a signal: wait for a commit under way, remove
 * every open staging folder (and output folders their opening made and
 * left empty), and keep every later commit from starting; the caller then
 * exits. */
LOC_API void loc_outset_stop_all(void);

#endif

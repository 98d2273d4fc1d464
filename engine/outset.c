/*
 * Staging and committing a run's outputs as one set (see outset.h).  A run writes every
 * output into a staging folder beside the output folder, then commits:
 * with the output folder locked (flock, so that a second run into the same
 * folder waits its turn), the files there that are not a run's outputs are
 * hard-linked into the staging folder, and one renameat2(RENAME_EXCHANGE)
 * swaps the two folders.  Whatever moment a kill comes, the output folder
 * is all the old set or all the new one; the old set, now in the staging
 * folder's place, is then removed.  Where the swap cannot be made (the
 * parent folder is not writable, the file system does not support it, the
 * output folder holds subfolders or is the working folder) the files are
 * renamed one by one under the same lock, as before.
 *
 * Every open set is registered, so that a program stopped by a signal
 * can remove every staging folder (loc_outset_stop_all, after a commit
 * under way) before it exits.  A staging folder left by SIGKILL is found
 * by the next run into the same folder (its lock is free) and removed.
 *
 * Test hooks: LOCALITIES_TEST_COMMIT_PAUSE_MS pauses that long before each
 * step of a commit, so that a test can kill the run at every step;
 * LOCALITIES_TEST_STAGE_PAUSE_MS once the staging folder is made, so that
 * a test can signal a run surely before its commit.
 */
#define _GNU_SOURCE
#include "localities/outset.h"
#include "localities/sha256.h"
#include "internal.h"

#include <stdio.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STAGE_TAG ".localities-run-"

/* ---------------------------------------------------------------------
 * Open stages, for the signal thread
 * --------------------------------------------------------------------- */

static pthread_mutex_t stages_mu = PTHREAD_MUTEX_INITIALIZER;
static loc_outset *open_stages[64];
static size_t nopen;

static void stage_unregister(loc_outset *s)
{
    pthread_mutex_lock(&stages_mu);
    for (size_t i = 0; i < nopen; i++)
        if (open_stages[i] == s) {
            open_stages[i] = open_stages[--nopen];
            break;
        }
    pthread_mutex_unlock(&stages_mu);
}

/* ---------------------------------------------------------------------
 * Folders
 * --------------------------------------------------------------------- */

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* Remove a folder and everything in it, never following a link. */
static void remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void pause_env(const char *var)
{
    const char *e = getenv(var);
    long ms = e ? strtol(e, NULL, 10) : 0;
    if (ms > 0) {
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static void pause_for_test(void) { pause_env("LOCALITIES_TEST_COMMIT_PAUSE_MS"); }

/* The staging folder and its lock, gone. */
static void stage_remove(loc_outset *s)
{
    if (s->dir[0])
        remove_tree(s->dir);
    s->dir[0] = 0;
    if (s->lockfd >= 0)
        close(s->lockfd);
    s->lockfd = -1;
}

/* Staging folders of earlier runs into the same output folder that were
 * killed before they could clean up: their lock is free. */
static void remove_leftovers(loc_ctx *ctx, const char *parent, const char *prefix)
{
    DIR *d = opendir(parent);
    if (!d)
        return;
    struct dirent *e;
    size_t n = strlen(prefix);
    char p[8400];
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, prefix, n) || strlen(e->d_name) != n + 6)
            continue;
        if (snprintf(p, sizeof p, "%s/%s", parent, e->d_name) >= (int)sizeof p)
            continue;
        int fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            continue;
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            loc_report(ctx, LOC_WARN, "removed '%s', left by a run that was killed", p);
            remove_tree(p);
        }
        close(fd);
    }
    closedir(d);
}

const char *loc_outset_unstaged(const char *msg, char *buf, size_t size)
{
    const char *r = msg;
    pthread_mutex_lock(&stages_mu);
    for (size_t i = 0; i < nopen && r == msg; i++) {
        const loc_outset *s = open_stages[i];
        const char *at = s->dir[0] ? strstr(msg, s->dir) : NULL;
        if (at && snprintf(buf, size, "%.*s%s%s", (int)(at - msg), msg, s->out, at + strlen(s->dir)) < (int)size)
            r = buf;
    }
    pthread_mutex_unlock(&stages_mu);
    return r;
}

/* The output folder, created when missing (its parent must exist). */
static loc_status make_out_dir(loc_ctx *ctx, const char *dir)
{
    struct stat sb;
    if (mkdir(dir, 0777) == 0)
        return LOC_OK;
    if (errno == EEXIST) {
        if (stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode))
            return LOC_OK;
        return loc_error(ctx, LOC_EIO, "the output folder '%s' exists and is not a folder", dir);
    }
    return loc_error(ctx, LOC_EIO, "cannot create the output folder '%s': %s", dir, strerror(errno));
}

loc_status loc_outset_open(loc_ctx *ctx, loc_outset *s, const char *out, const loc_run_record *rec)
{
    memset(s, 0, sizeof *s);
    s->ctx = ctx;
    s->out = out;
    if (rec) {
        s->rec = *rec;
        s->has_rec = 1;
    }
    s->lockfd = -1;
    struct stat sb;
    s->made_out = stat(out, &sb) != 0; /* a failed run removes the folder it made */
    loc_status st = make_out_dir(ctx, out);
    if (st)
        return st;
    if (!realpath(out, s->real))
        return loc_error(ctx, LOC_EIO, "cannot find the output folder '%s': %s", out, strerror(errno));
    /* beside the output folder, named after it; inside it where the
     * parent cannot be written (the set is then moved file by file) */
    char tmp[4096], prefix[4096];
    snprintf(tmp, sizeof tmp, "%s", s->real);
    const char *base = basename(tmp);
    snprintf(prefix, sizeof prefix, ".%.200s" STAGE_TAG, base);
    char parent[4096];
    snprintf(tmp, sizeof tmp, "%s", s->real);
    snprintf(parent, sizeof parent, "%s", dirname(tmp));
    int beside = strcmp(s->real, "/") != 0 && access(parent, W_OK) == 0;
    int len;
    if (beside) {
        remove_leftovers(ctx, parent, prefix);
        len = snprintf(s->dir, sizeof s->dir, "%s/%sXXXXXX", parent, prefix);
    } else {
        remove_leftovers(ctx, s->real, STAGE_TAG);
        len = snprintf(s->dir, sizeof s->dir, "%s/" STAGE_TAG "XXXXXX", s->real);
    }
    s->inside = !beside;
    if (len < 0 || len >= (int)sizeof s->dir) {
        s->dir[0] = 0;
        return loc_error(ctx, LOC_EIO, "the output folder's path '%s' is too long", out);
    }
    /* made and registered under the lock the signal thread takes, so that
     * a signal never finds a staging folder it does not know of */
    pthread_mutex_lock(&stages_mu);
    if (!mkdtemp(s->dir)) {
        pthread_mutex_unlock(&stages_mu);
        s->dir[0] = 0;
        return loc_error(ctx, LOC_EIO, "cannot write in the output folder '%s': %s", out, strerror(errno));
    }
    s->lockfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->lockfd >= 0)
        flock(s->lockfd, LOCK_EX | LOCK_NB);
    if (nopen < sizeof open_stages / sizeof *open_stages)
        open_stages[nopen++] = s;
    pthread_mutex_unlock(&stages_mu);
    pause_env("LOCALITIES_TEST_STAGE_PAUSE_MS"); /* a test's moment to signal a run mid-way */
    return LOC_OK;
}

const char *loc_outset_path(loc_outset *s, const char *name)
{
    if (s->nnames < sizeof s->names / sizeof *s->names)
        s->names[s->nnames++] = name;
    snprintf(s->path, sizeof s->path, "%s/%s", s->dir, name);
    return s->path;
}

/* A JSON string. */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            loc_fprintf(f, "\\%c", c);
        else if (c < 0x20)
            loc_fprintf(f, "\\u%04x", c);
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
        loc_fprintf(f, ", \"bytes\": %llu, \"sha256\": ", (unsigned long long)bytes);
        json_str(f, hex);
        fputc('}', f);
    } else {
        fputs(", \"bytes\": null, \"sha256\": null}", f);
    }
}

/* run.json in the staging folder: what ran, on what, and what it wrote. */
static loc_status write_run_json(loc_outset *s)
{
    const loc_run_record *a = &s->rec;
    const char *path = loc_outset_path(s, "run.json");
    FILE *f = fopen(path, "wx");
    if (!f)
        return loc_error(s->ctx, LOC_EIO, "cannot write '%s/run.json': %s", s->out, strerror(errno));
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
    loc_fprintf(f, "],\n  \"started\": \"%s\",\n  \"finished\": \"%s\",\n  \"inputs\": [", t0, t1);
    int first = 1;
    for (size_t k = 0; k < a->ninputs; k++)
        json_input(f, &first, a->inputs[k].role, a->inputs[k].path);
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
    if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0 || fclose(f) != 0)
        return loc_error(s->ctx, LOC_EIO, "cannot write '%s/run.json': %s", s->out, strerror(errno));
    return LOC_OK;
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

/* Lock the output folder for the commit: an exclusive flock on the
 * folder, taken again if the folder was swapped while we waited.  Returns
 * the locked descriptor or -1. */
static int lock_out(loc_outset *s)
{
    for (int tries = 0; tries < 1000; tries++) {
        int fd = open(s->real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            return -1;
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            if (tries == 0)
                loc_report(s->ctx, LOC_WARN, "waiting for another run writing into '%s'", s->out);
            if (flock(fd, LOCK_EX) != 0) {
                close(fd);
                return -1;
            }
        }
        struct stat a, b;
        if (fstat(fd, &a) == 0 && stat(s->real, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
            return fd;
        close(fd); /* another run swapped the folder in meanwhile: lock the new one */
    }
    return -1;
}

/* 1 when name is one of the files this run writes. */
static int is_ours(const loc_outset *s, const char *name)
{
    for (size_t k = 0; k < s->nnames; k++)
        if (!strcmp(s->names[k], name))
            return 1;
    return 0;
}

/* 1 when name is in the list of the previous run's outputs. */
static int in_list(char names[][256], size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(names[i], name))
            return 1;
    return 0;
}

/* 1 when the working folder is the output folder or inside it: swapping
 * it would leave the user's shell in a removed folder. */
static int holds_cwd(const char *real)
{
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd))
        return 1;
    size_t n = strlen(real);
    return strncmp(cwd, real, n) == 0 && (cwd[n] == 0 || cwd[n] == '/');
}

/* Hard-link into the staging folder every file of the output folder that
 * is not an output (this run's or the previous run's), so that the swap
 * keeps them.  Returns 0, or -1 when the folder holds something that
 * cannot be carried that way (a subfolder, a special file, a link refused),
 * in which case the commit moves the files one by one instead. */
static int carry_user_files(loc_outset *s, char old[][256], size_t nold)
{
    DIR *d = opendir(s->real);
    if (!d)
        return -1;
    struct dirent *e;
    char from[8400], to[8400], target[4096];
    int rc = 0;
    size_t n = 0;
    while (!rc && (e = readdir(d))) {
        const char *nm = e->d_name;
        if (!strcmp(nm, ".") || !strcmp(nm, "..") || is_ours(s, nm) || in_list(old, nold, nm))
            continue;
        if (strstr(nm, STAGE_TAG) || ++n > 1000) {
            rc = -1; /* another run staging inside; or too many to link */
            break;
        }
        struct stat sb;
        snprintf(from, sizeof from, "%s/%s", s->real, nm);
        snprintf(to, sizeof to, "%s/%s", s->dir, nm);
        if (lstat(from, &sb) != 0)
            continue; /* gone meanwhile */
        pause_for_test();
        if (S_ISREG(sb.st_mode))
            rc = link(from, to) == 0 ? 0 : -1;
        else if (S_ISLNK(sb.st_mode)) {
            ssize_t len = readlink(from, target, sizeof target - 1);
            rc = len >= 0 && (target[len] = 0, symlink(target, to) == 0) ? 0 : -1;
        } else
            rc = -1;
    }
    closedir(d);
    return rc;
}

/* Move this run's files into the output folder one by one. */
static loc_status move_each(loc_outset *s, char old[][256], size_t nold)
{
    char from[8400], to[8400];
    struct stat sb;
    for (size_t k = 0; k < s->nnames; k++) {
        snprintf(from, sizeof from, "%s/%s", s->dir, s->names[k]);
        snprintf(to, sizeof to, "%s/%s", s->real, s->names[k]);
        if (access(from, F_OK) != 0)
            continue; /* a writer that chose to write nothing */
        pause_for_test();
        if (rename(from, to) != 0)
            return loc_error(s->ctx, LOC_EIO, "cannot move '%s/%s' into place: %s", s->out, s->names[k],
                             strerror(errno));
    }
    /* what the previous run wrote and this one did not: gone, so that the
     * folder holds one run (a plain name, a regular file, never a folder) */
    for (size_t i = 0; i < nold; i++) {
        if (is_ours(s, old[i]) || strchr(old[i], '/') || !strcmp(old[i], ".") || !strcmp(old[i], ".."))
            continue;
        snprintf(to, sizeof to, "%s/%s", s->real, old[i]);
        if (lstat(to, &sb) == 0 && S_ISREG(sb.st_mode))
            unlink(to);
    }
    return LOC_OK;
}

/* Swap the staging folder and the output folder in one rename; 0 when
 * done.  The staging folder takes the output folder's permissions first. */
static int swap_in(loc_outset *s, char old[][256], size_t nold)
{
    struct stat sb;
    if (s->inside || holds_cwd(s->real) || stat(s->real, &sb) != 0)
        return -1;
    if (carry_user_files(s, old, nold) != 0)
        return -1;
    if (chmod(s->dir, sb.st_mode & 07777) != 0)
        return -1;
    pause_for_test();
    if (renameat2(AT_FDCWD, s->dir, AT_FDCWD, s->real, RENAME_EXCHANGE) != 0)
        return -1;
    pause_for_test();
    return 0; /* s->dir now holds the old set: stage_remove removes it */
}

/* Undo a failed swap's preparation: the links carried into the staging
 * folder (the originals are still in the output folder). */
static void drop_carried(loc_outset *s)
{
    DIR *d = opendir(s->dir);
    if (!d)
        return;
    struct dirent *e;
    char p[8400];
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && !is_ours(s, e->d_name)) {
            snprintf(p, sizeof p, "%s/%s", s->dir, e->d_name);
            unlink(p);
        }
    closedir(d);
}

loc_status loc_outset_commit(loc_outset *s)
{
    char to[8400];
    struct stat sb;
    char old[64][256];
    /* a signal's loc_outset_stop_all waits for a commit under way to finish */
    pthread_mutex_lock(&stages_mu);
    int lockfd = lock_out(s);
    if (lockfd < 0) {
        pthread_mutex_unlock(&stages_mu);
        loc_status st = loc_error(s->ctx, LOC_EIO, "cannot lock the output folder '%s': %s", s->out, strerror(errno));
        loc_outset_abort(s);
        return st;
    }
    size_t nold = s->has_rec ? previous_outputs(s->real, old, 64) : 0;
    loc_status rc = s->has_rec ? write_run_json(s) : LOC_OK;
    /* A target that is a folder would refuse its rename half-way through
     * the set: look before moving anything. */
    for (size_t k = 0; !rc && k < s->nnames; k++) {
        snprintf(to, sizeof to, "%s/%s", s->real, s->names[k]);
        if (stat(to, &sb) == 0 && S_ISDIR(sb.st_mode))
            rc = loc_error(s->ctx, LOC_EIO, "cannot replace '%s/%s': it is a folder; nothing was written", s->out,
                           s->names[k]);
    }
    if (!rc && swap_in(s, old, nold) != 0) {
        drop_carried(s);
        rc = move_each(s, old, nold);
    }
    close(lockfd);
    pthread_mutex_unlock(&stages_mu);
    stage_unregister(s);
    stage_remove(s);
    if (rc && s->made_out && s->out)
        rmdir(s->out);
    s->made_out = 0;
    return rc;
}

void loc_outset_abort(loc_outset *s)
{
    if (!s->ctx)
        return; /* zeroed, never opened: nothing of ours (its lockfd 0 is not ours to close) */
    stage_unregister(s);
    stage_remove(s);
    if (s->made_out && s->out)
        rmdir(s->out); /* only when empty: never what someone put there meanwhile */
    s->made_out = 0;
}

loc_status loc_outset_fail(loc_outset *s, loc_status st)
{
    char buf[LOC_ERRMSG_MAX + 4096];
    if (s->ctx && loc_errcode(s->ctx)) {
        const char *msg = loc_outset_unstaged(loc_errmsg(s->ctx), buf, sizeof buf);
        if (msg == buf)
            loc_error(s->ctx, loc_errcode(s->ctx), "%s", buf);
    }
    loc_outset_abort(s);
    return st;
}

void loc_outset_stop_all(void)
{
    pthread_mutex_lock(&stages_mu); /* after a commit under way; never unlocked: the program exits */
    /* the program's other threads go on writing until the exit: a file
     * made while the folder was being removed keeps it, so remove again */
    for (int tries = 0; tries < 50; tries++) {
        int left = 0;
        struct stat sb;
        for (size_t i = 0; i < nopen; i++) {
            loc_outset *s = open_stages[i];
            if (s->dir[0])
                remove_tree(s->dir);
            if (s->made_out && s->out)
                rmdir(s->out);
            left += (s->dir[0] && stat(s->dir, &sb) == 0) || (s->made_out && s->out && stat(s->out, &sb) == 0);
        }
        if (!left)
            break;
        struct timespec ts = {0, 10000000L};
        nanosleep(&ts, NULL);
    }
}

/*
 * Atomic output files: every output is written under a temporary name in
 * its own folder and renamed over the final name only when it is complete,
 * so a failed write never leaves a partial file and an earlier output at
 * the same path stays untouched.  The one mechanism for a single file:
 * the CSV tables write through a loc_afile, and the GDAL writers and the
 * report reserve a temporary name here and commit or discard it.  (A set
 * of files changing as one is outset.c's.)  Also the CSV field quoting
 * every writer shares.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Create a new temporary file beside path, named path.tmpPID.N + ext (GDAL
 * drivers look at the extension), with O_EXCL so that no one else's file
 * is ever written through.  *tmp (owned, loc_free) and *fd are set.  An
 * unwritable folder gets a plain "cannot write" message here rather than
 * a driver's.
 */
loc_status loc_afile_reserve(loc_ctx *ctx, const char *path, const char *ext, char **tmp, int *fd)
{
    size_t size = strlen(path) + strlen(ext) + 48;
    *fd = -1;
    if (!(*tmp = loc_malloc(ctx, size)))
        return LOC_ENOMEM;
    for (int attempt = 0; attempt < 100 && *fd < 0; attempt++) {
        snprintf(*tmp, size, "%s.tmp%ld.%d%s", path, (long)getpid(), attempt, ext);
        *fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (*fd < 0 && errno != EEXIST)
            break;
    }
    if (*fd >= 0)
        return LOC_OK;
    loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, strerror(errno));
    loc_free(ctx, *tmp);
    *tmp = NULL;
    return LOC_EIO;
}

/* Remove a temporary and whatever SQLite left beside it.  A stack
 * buffer: an allocation failing here would replace the error being
 * reported with LOC_ENOMEM. */
void loc_afile_remove_temp(const char *tmp)
{
    static const char *const extra[] = {"", "-journal", "-wal", "-shm"};
    char name[4200];
    for (size_t i = 0; tmp && i < sizeof extra / sizeof *extra; i++)
        if ((size_t)snprintf(name, sizeof name, "%s%s", tmp, extra[i]) < sizeof name)
            unlink(name);
}

/* Rename a staged file over path (removing it when that fails) and free
 * the name. */
loc_status loc_afile_commit(loc_ctx *ctx, char *tmp, const char *path)
{
    loc_status st = LOC_OK;
    if (rename(tmp, path) != 0) {
        st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, strerror(errno));
        loc_afile_remove_temp(tmp);
    }
    loc_free(ctx, tmp);
    return st;
}

/* Remove a staged file and free the name. */
void loc_afile_discard(loc_ctx *ctx, char *tmp)
{
    loc_afile_remove_temp(tmp);
    loc_free(ctx, tmp);
}

loc_status loc_afile_open(loc_ctx *ctx, loc_afile *af, const char *path)
{
    af->f = NULL;
    af->path = path;
    af->buf = NULL;
    int fd;
    loc_status st = loc_afile_reserve(ctx, path, "", &af->tmp, &fd);
    if (st)
        return st;
    if (!(af->f = fdopen(fd, "w"))) {
        st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, strerror(errno));
        close(fd);
        loc_afile_discard(ctx, af->tmp);
        af->tmp = NULL;
        return st;
    }
    /* a speed-up only: without it the file is written all the same, and
     * its allocation failing is no error to leave behind */
    int had_error = loc_errcode(ctx) != LOC_OK;
    if (!(af->buf = loc_malloc(ctx, LOC_AFILE_BUFFER))) {
        if (!had_error)
            loc_clear_error(ctx);
    } else if (setvbuf(af->f, af->buf, _IOFBF, LOC_AFILE_BUFFER) != 0) {
        loc_free(ctx, af->buf);
        af->buf = NULL;
    }
    return LOC_OK;
}

/* Flush, fsync and close when st is LOC_OK, else only close; the
 * buffer goes with the stream.  The final status. */
static loc_status afile_finish(loc_ctx *ctx, loc_afile *af, loc_status st)
{
    if (af->f) {
        if (!st && (fflush(af->f) != 0 || ferror(af->f) || fsync(fileno(af->f)) != 0))
            st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", af->path, strerror(errno));
        if (fclose(af->f) != 0 && !st)
            st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", af->path, strerror(errno));
        af->f = NULL;
    }
    loc_free(ctx, af->buf);
    af->buf = NULL;
    return st;
}

loc_status loc_afile_stage(loc_ctx *ctx, loc_afile *af, loc_status st, char **tmp)
{
    st = afile_finish(ctx, af, st);
    *tmp = st ? NULL : af->tmp;
    if (st && af->tmp)
        loc_afile_discard(ctx, af->tmp);
    af->tmp = NULL;
    return st;
}

/* Finish: close and rename when ok, else remove the temporary. */
loc_status loc_afile_close(loc_ctx *ctx, loc_afile *af, loc_status st)
{
    st = afile_finish(ctx, af, st);
    if (af->tmp) {
        if (st)
            loc_afile_discard(ctx, af->tmp);
        else
            st = loc_afile_commit(ctx, af->tmp, af->path);
        af->tmp = NULL;
    }
    return st;
}

loc_status loc_afile_failed(loc_ctx *ctx, const loc_afile *af)
{
    return loc_error(ctx, LOC_EIO, "cannot write '%s': %s", af->path, strerror(errno));
}

/* A CSV field, quoted when it holds a comma, quote or line break. */
int loc_put_csv_field(FILE *f, const char *s)
{
    if (!s[strcspn(s, ",\"\r\n")])
        return fputs(s, f);
    if (fputc('"', f) == EOF)
        return EOF;
    for (; *s; s++)
        if ((*s == '"' && fputc('"', f) == EOF) || fputc(*s, f) == EOF)
            return EOF;
    return fputc('"', f);
}


/*
 * Atomic output files: every output is written under a temporary name in
 * its own folder and renamed over the final name only when it is complete,
 * so a failed write never leaves a partial file and an earlier output at
 * the same path stays untouched.  Also the CSV field quoting every writer
 * shares.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

loc_status loc_afile_open(loc_ctx *ctx, loc_afile *af, const char *path)
{
    af->f = NULL;
    af->path = path;
    size_t size = strlen(path) + 48;
    if (!(af->tmp = loc_malloc(ctx, size)))
        return LOC_ENOMEM;
    for (int attempt = 0; attempt < 100; attempt++) {
        snprintf(af->tmp, size, "%s.tmp%ld.%d", path, (long)getpid(), attempt);
        /* O_EXCL: never write through a name someone else holds; 0666 lets
         * the umask decide, as for any new file */
        int fd = open(af->tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fd < 0 && errno == EEXIST)
            continue;
        if (fd < 0)
            break;
        if (!(af->f = fdopen(fd, "w"))) {
            int e = errno;
            close(fd);
            unlink(af->tmp);
            errno = e;
            break;
        }
        return LOC_OK;
    }
    loc_error(ctx, LOC_EIO, "cannot write '%s': %s", path, strerror(errno));
    loc_free(ctx, af->tmp);
    af->tmp = NULL;
    return LOC_EIO;
}

/* Finish: close and rename when ok, else remove the temporary. */
loc_status loc_afile_close(loc_ctx *ctx, loc_afile *af, loc_status st)
{
    if (af->f) {
        if (!st && (fflush(af->f) != 0 || ferror(af->f) || fsync(fileno(af->f)) != 0))
            st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", af->path, strerror(errno));
        if (fclose(af->f) != 0 && !st)
            st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", af->path, strerror(errno));
        af->f = NULL;
    }
    if (af->tmp) {
        if (!st && rename(af->tmp, af->path) != 0)
            st = loc_error(ctx, LOC_EIO, "cannot write '%s': %s", af->path, strerror(errno));
        if (st)
            unlink(af->tmp);
        loc_free(ctx, af->tmp);
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


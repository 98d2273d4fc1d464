/*
 * What the tool prints to the terminal shows data as text, never as
 * commands: a locality name from a lookup holding ESC ]0;...BEL would
 * retitle the terminal, and ESC [2J clear it.  stdout and stderr are
 * replaced at start by streams that write through to the same file
 * descriptors with every control character shown escaped (\x1b), C0
 * controls but the line feed and tab, DEL, and the C1 controls as UTF-8
 * encodes them (C2 80 to C2 9F).  Files the tool writes go through their
 * own streams and keep the data as it is.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct term_out {
    int fd;
    int pending_c2; /* the last byte written was 0xC2, a possible C1 lead */
} term_out;

static term_out outs[2];

/* Write all of buf to fd, retrying short writes. */
static int put_all(int fd, const char *buf, size_t n)
{
    while (n) {
        ssize_t w = write(fd, buf, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

static ssize_t term_write(void *cookie, const char *buf, size_t size)
{
    term_out *t = cookie;
    char out[4096 + 16];
    size_t o = 0;
    for (size_t i = 0; i < size; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (o > 4096) {
            if (put_all(t->fd, out, o))
                return -1;
            o = 0;
        }
        if (t->pending_c2) {
            t->pending_c2 = 0;
            if (c >= 0x80 && c <= 0x9f) {
                o += (size_t)snprintf(out + o, 16, "\\u%04x", c);
                continue;
            }
            out[o++] = (char)0xc2;
        }
        if (c == 0xc2) {
            t->pending_c2 = 1;
        } else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
            o += (size_t)snprintf(out + o, 16, "\\x%02x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    if (o && put_all(t->fd, out, o))
        return -1;
    return (ssize_t)size;
}

static int term_close(void *cookie)
{
    term_out *t = cookie;
    if (t->pending_c2) {
        t->pending_c2 = 0;
        return put_all(t->fd, "\xc2", 1);
    }
    return 0;
}

void cli_terminal_init(void)
{
    cookie_io_functions_t io = {NULL, term_write, NULL, term_close};
    outs[0] = (term_out){STDOUT_FILENO, 0};
    outs[1] = (term_out){STDERR_FILENO, 0};
    FILE *o = fopencookie(&outs[0], "w", io), *e = fopencookie(&outs[1], "w", io);
    if (o) {
        fflush(stdout);
        stdout = o;
    }
    if (e) {
        fflush(stderr);
        setvbuf(e, NULL, _IONBF, 0); /* stderr stays unbuffered */
        stderr = e;
    }
}

/* shrink_shim.c: an LD_PRELOAD library for test_truncate.sh. It makes a file shrink while
 * mpiguard reads it, at the worst moment and every time: right after the first mmap() or
 * pread() of any file whose path starts with $MPG_SHRINK_UNDER, the file is cut to
 * $MPG_SHRINK_TO bytes (default 1024), as a pip or conda reinstall (or an NFS server) does
 * to a library under a reader. Real kernel semantics follow: a mapping then faults (SIGBUS)
 * past the new end, a read comes back short. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

static void shrink(int fd)
{
    const char *under = getenv("MPG_SHRINK_UNDER");
    if (!under || !*under || fd < 0) return;
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0) return;
    path[n] = '\0';
    if (strncmp(path, under, strlen(under)) != 0) return;
    const char *to = getenv("MPG_SHRINK_TO");
    if (truncate(path, to ? atol(to) : 1024) == 0) {
        const char *log = getenv("MPG_SHRINK_LOG");
        FILE *f = log ? fopen(log, "a") : NULL;
        if (f) {
            fprintf(f, "shrank %s\n", path);
            fclose(f);
        }
    }
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    static void *(*real)(void *, size_t, int, int, int, off_t);
    if (!real) real = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
    void *p = real(addr, len, prot, flags, fd, off);
    if (p != MAP_FAILED && !(flags & MAP_ANONYMOUS)) shrink(fd);
    return p;
}

ssize_t pread(int fd, void *buf, size_t len, off_t off)
{
    static ssize_t (*real)(int, void *, size_t, off_t);
    if (!real) real = (ssize_t(*)(int, void *, size_t, off_t))dlsym(RTLD_NEXT, "pread");
    ssize_t n = real(fd, buf, len, off);
    if (n > 0) shrink(fd);
    return n;
}

ssize_t pread64(int fd, void *buf, size_t len, off_t off) { return pread(fd, buf, len, off); }

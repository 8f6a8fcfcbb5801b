/* cputime.c: runs a command and prints the CPU time it and its children used, in microseconds
 * (user + system, from wait4()), on stderr as "cputime_us=N"; the command's own output and exit
 * status pass through. Bash's `time` prints milliseconds at most, too coarse to see a 2%
 * difference on a 50 ms command. Used by bench/lmod/bench_cost_inner.sh. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: cputime COMMAND [ARG...]\n");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("cputime: fork");
        return 2;
    }
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        perror("cputime: exec");
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid) {
        perror("cputime: wait4");
        return 2;
    }
    /* wait4 counts the child and the children it waited for: all of Lmod's processes. */
    long long us = (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
    fprintf(stderr, "cputime_us=%lld\n", us);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

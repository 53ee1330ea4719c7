/*
 * readall DIR: open, read and close every *.sql file of DIR, nothing else;
 * the floor of any command that reads a project's revision files
 * (bench/scale.sh).  Prints how many files and bytes it read.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    static char buf[1 << 16];
    DIR *d;
    struct dirent *e;
    long files = 0, bytes = 0;
    int dfd;
    if (argc != 2 || !(d = opendir(argv[1]))) {
        fprintf(stderr, "usage: readall DIR\n");
        return 2;
    }
    dfd = dirfd(d);
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        ssize_t r;
        int fd;
        if (n < 5 || strcmp(e->d_name + n - 4, ".sql") != 0)
            continue;
        if ((fd = openat(dfd, e->d_name, O_RDONLY | O_CLOEXEC)) < 0)
            return 1;
        while ((r = read(fd, buf, sizeof buf)) > 0)
            bytes += r;
        close(fd);
        files++;
    }
    closedir(d);
    printf("%ld files, %ld bytes\n", files, bytes);
    return 0;
}

// Linux epoll (part of glibc, not exported by Swift's Glibc module).
#include <sys/epoll.h>

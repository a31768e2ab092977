#include "renesens_native.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

int32_t rn_socketpair(int32_t *out_fds)
{
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
        return -errno;
    out_fds[0] = fds[0];
    out_fds[1] = fds[1];
    return 0;
}

int64_t rn_unix_send(int32_t sock, const void *buf, uint64_t len, const int32_t *fds, int32_t nfds)
{
    if (nfds < 0 || nfds > RN_MAX_FDS || (nfds > 0 && fds == NULL) || (len > 0 && buf == NULL))
        return -EINVAL;
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = (size_t)len };
    union {
        char buf[CMSG_SPACE(sizeof(int) * RN_MAX_FDS)];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (nfds > 0) {
        msg.msg_control = control.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
    }
    for (;;) {
        ssize_t r = sendmsg(sock, &msg, MSG_NOSIGNAL);
        if (r >= 0)
            return (int64_t)r;
        if (errno != EINTR)
            return -errno;
    }
}

int64_t rn_unix_recv(int32_t sock, void *buf, uint64_t len, int32_t *fds, int32_t max_fds, int32_t *out_nfds)
{
    if (max_fds < 0 || max_fds > RN_MAX_FDS || out_nfds == NULL || (max_fds > 0 && fds == NULL))
        return -EINVAL;
    *out_nfds = 0;
    struct iovec iov = { .iov_base = buf, .iov_len = (size_t)len };
    /* Room for more than we accept, so that surplus descriptors arrive and get closed
       instead of being silently dropped by the kernel with MSG_CTRUNC. */
    union {
        char buf[CMSG_SPACE(sizeof(int) * RN_MAX_FDS * 2)];
        struct cmsghdr align;
    } control;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = control.buf, .msg_controllen = sizeof control.buf };
    ssize_t r;
    do {
        r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    } while (r < 0 && errno == EINTR);
    if (r < 0)
        return -errno;

    int kept = 0;
    int surplus = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            if (kept < max_fds)
                fds[kept++] = fd;
            else {
                close(fd);
                surplus = 1;
            }
        }
    }
    if (surplus || (msg.msg_flags & MSG_CTRUNC)) {
        for (int i = 0; i < kept; i++)
            close(fds[i]);
        return -EMSGSIZE;
    }
    *out_nfds = kept;
    return (int64_t)r;
}

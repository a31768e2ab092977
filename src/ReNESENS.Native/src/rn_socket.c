#include "renesens_native.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

int64_t rn_socket_sendv(int32_t sock, const rn_iovec *iov, int32_t count)
{
    if (iov == NULL || count <= 0 || count > IOV_MAX)
        return -EINVAL;
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = (struct iovec *)iov;
    msg.msg_iovlen = (size_t)count;
    for (;;) {
        ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return -errno;
    }
}

int64_t rn_socket_recv_nowait(int32_t sock, void *buf, uint64_t len)
{
    if (buf == NULL || len == 0)
        return -EINVAL;
    for (;;) {
        ssize_t n = recv(sock, buf, (size_t)len, MSG_DONTWAIT);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return -errno;
    }
}

# Stands in for systemd's notify socket: receives sd_notify datagrams, prints each on one line
# (fields joined by '|'), and closes any passed file descriptors at once, as systemd does with
# the barrier pipe that systemd-notify waits on.
import os, socket, sys
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
print("listening", flush=True)
while True:
    msg, anc, _flags, _addr = s.recvmsg(4096, socket.CMSG_SPACE(64 * 4))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            for i in range(0, len(data) - len(data) % 4, 4):
                os.close(int.from_bytes(data[i:i + 4], sys.byteorder))
    print(msg.decode().strip().replace("\n", "|"), flush=True)

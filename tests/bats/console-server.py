# Test helper: an AF_UNIX --console-socket that accepts any number of
# connections (create, then every restore), writes "pingN" to the N-th pty
# master it receives and appends what comes back to LOG.
# Usage: console-server.py SOCKET LOG
import os, socket, sys, threading
sock, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sock); s.listen(4)
n = 0
def pump(fd, n):
    os.write(fd, b"ping%d\n" % n)
    while True:
        try: chunk = os.read(fd, 4096)
        except OSError: break
        if not chunk: break
        with open(log, "ab") as f: f.write(chunk)
while True:
    c, _ = s.accept()
    n += 1
    name, fds, _, _ = socket.recv_fds(c, 1024, 1)
    c.close()
    threading.Thread(target=pump, args=(fds[0], n), daemon=True).start()

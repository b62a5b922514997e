"""Peak memory of the calling process, for the benchmark anchors."""


def peak_rss_mib():
    """This process's peak RSS (VmHWM). Not getrusage's ru_maxrss: on Linux that survives exec, so a
    child inherits the peak of the (large) benchmark driver that forked it."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")

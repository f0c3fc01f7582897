"""Holds N GraphQL POSTs that declare a body and send only part of it, against one gateway on loopback, and
measures the gateway's RSS and an unrelated key's latency before, while and after they are held.
Prints one JSON line. Used by bench/held-bodies.sh; every socket goes to 127.0.0.1 and every wait is bounded."""
import asyncio, json, statistics, sys, time

port, pid = int(sys.argv[1]), int(sys.argv[2])
graphql_key, endpoint_key = sys.argv[3], sys.argv[4]
connections, declared, sent, samples = (int(a) for a in sys.argv[5:9])
settle = float(sys.argv[9])

def rss_mib(field="VmRSS"):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0

async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    if length:
        await reader.readexactly(length)
    return status

async def latency(count, until=None):
    """Sequential GETs with an unrelated endpoint key on one kept-alive connection; milliseconds each.
    With until, runs until it returns true instead of count times."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
    request = (f"GET /v2/bench-ep/status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               f"Authorization: Bearer {endpoint_key}\r\n\r\n").encode()
    times, failures = [], 0
    while (len(times) < count) if until is None else (not times or not until()):
        started = time.perf_counter()
        writer.write(request)
        status = await asyncio.wait_for(read_response(reader), 30)
        times.append((time.perf_counter() - started) * 1000)
        failures += status != 200
    writer.close()
    return times, failures

def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

class Held:
    def __init__(self):
        self.writer, self.status, self.done_sending = None, None, False

async def hold(held, gate):
    async with gate:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 30)
        except Exception:
            held.status, held.done_sending = "connect-failed", True
            return
        held.writer = writer
        writer.write((f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {graphql_key}\r\n"
                      f"Content-Type: application/json\r\nContent-Length: {declared}\r\n\r\n").encode())
        chunk, left = b" " * 65536, sent
        try:
            while left > 0 and held.status is None:
                piece = chunk[:min(left, len(chunk))]
                writer.write(piece)
                await asyncio.wait_for(writer.drain(), 30)
                left -= len(piece)
        except Exception:
            pass  # the gateway answered early and closed; the reader below records what it said
        held.done_sending = True
    try:
        held.status = await read_response(reader)
    except Exception:
        held.status = held.status or "closed"

async def main():
    await latency(samples)  # unrecorded: JIT and connection warm-up
    rss_idle = rss_mib()
    idle, idle_failures = await latency(samples)
    gate = asyncio.Semaphore(64)
    helds = [Held() for _ in range(connections)]
    tasks = [asyncio.create_task(hold(h, gate)) for h in helds]
    # Wait until every connection has sent its bytes or been answered (bounded), then let the gateway settle.
    deadline = time.monotonic() + 120
    all_sent = lambda: time.monotonic() > deadline or all(h.done_sending or h.status is not None for h in helds)
    # The unrelated key's latency while the bodies arrive (the busiest moment), then while they are held.
    sending, sending_failures = await latency(0, until=all_sent)
    await asyncio.sleep(settle)
    rss_held = rss_mib()
    held_now = sum(1 for h in helds if h.status is None)
    answered = {}
    for h in helds:
        if h.status is not None:
            answered[str(h.status)] = answered.get(str(h.status), 0) + 1
    during, during_failures = await latency(samples)
    rss_held_after_latency = rss_mib()
    for h in helds:
        if h.writer is not None:
            h.writer.close()
    await asyncio.wait(tasks, timeout=30)
    for t in tasks:
        t.cancel()
    await asyncio.sleep(settle)
    after, after_failures = await latency(samples)
    print(json.dumps({
        "connections": connections, "declared": declared, "sent": sent,
        "held": held_now, "answered_early": answered,
        "rss_idle_mib": round(rss_idle, 1), "rss_held_mib": round(max(rss_held, rss_held_after_latency), 1),
        "rss_after_mib": round(rss_mib(), 1), "rss_peak_mib": round(rss_mib("VmHWM"), 1),
        "idle_p50_ms": round(statistics.median(idle), 3), "idle_p99_ms": round(percentile(idle, 99), 3),
        "held_p50_ms": round(statistics.median(during), 3), "held_p99_ms": round(percentile(during, 99), 3),
        "sending_p50_ms": round(statistics.median(sending), 3) if sending else None,
        "sending_p99_ms": round(percentile(sending, 99), 3) if sending else None,
        "sending_samples": len(sending),
        "after_p50_ms": round(statistics.median(after), 3),
        "latency_failures": idle_failures + during_failures + after_failures + sending_failures,
    }))

asyncio.run(asyncio.wait_for(main(), 600))

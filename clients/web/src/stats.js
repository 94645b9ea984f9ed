// Frame statistics for the overlay: frames per second, latency, gaps in seq.

export class FrameStats {
  constructor() {
    this.frames = 0;
    this.gaps = 0;
    this.lastSeq = -1;
    this.arrivals = [];
    this.latencyMs = NaN;
  }

  /** Count a frame; latency is now − the server's wall time (one machine, or synced clocks). */
  add(frame) {
    const now = Date.now() / 1000;
    if (this.lastSeq >= 0 && frame.seq !== this.lastSeq + 1) this.gaps += 1;
    this.lastSeq = frame.seq;
    this.frames += 1;
    this.latencyMs = (now - frame.wall) * 1000;
    this.arrivals.push(now);
    while (this.arrivals.length && this.arrivals[0] < now - 1) this.arrivals.shift();
  }

  get fps() {
    return this.arrivals.length;
  }
}

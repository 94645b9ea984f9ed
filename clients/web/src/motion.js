// Motion at the display's refresh rate from the stream's 25 frames per second, by the rules of the
// engine's own live renderer (engine/render/motion.py, FrameInterpolator and PlaybackClock):
// expression and axis-angle pose are interpolated linearly between the two frames around the audio
// time shown, and that time follows the frames' arrival with a slew, a little behind the newest.

/** The latest frames ({t, exp, pose, shape}) and the motion between them at any audio time. */
export class FrameInterpolator {
  constructor(capacity = 8) {
    this.capacity = capacity;
    this.frames = [];
  }

  push(frame) {
    const last = this.frames[this.frames.length - 1];
    if (last && frame.t <= last.t) this.frames = []; // a new stream (or a clock reset) starts over
    this.frames.push(frame);
    if (this.frames.length > this.capacity) this.frames.shift();
  }

  /** {exp, pose, shape} at audio time `t` (clamped to the newest frame), or null before any. */
  sample(t) {
    if (!this.frames.length) return null;
    let before = this.frames[0];
    for (const frame of this.frames) {
      if (frame.t > t) {
        const span = frame.t - before.t;
        const w = span <= 0 ? 0 : Math.min(Math.max((t - before.t) / span, 0), 1);
        return { exp: mix(before.exp, frame.exp, w), pose: mix(before.pose, frame.pose, w), shape: frame.shape };
      }
      before = frame;
    }
    return { exp: before.exp, pose: before.pose, shape: before.shape };
  }
}

function mix(a, b, w) {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i += 1) out[i] = a[i] * (1 - w) + b[i] * w;
  return out;
}

/**
 * The audio time to show at a wall-clock time (seconds), locked to the arrival of frames: each
 * frame's (t - arrival) estimates the offset between the clocks; the estimate follows with a slew
 * and jumps when off by more than `resync` (a new stream, a pause). Display runs `delay` behind.
 */
export class PlaybackClock {
  constructor(delay = 0.08, slew = 0.05, resync = 0.25) {
    this.delay = delay;
    this.slew = slew;
    this.resync = resync;
    this.offset = null;
  }

  observe(audioTime, wallTime) {
    const target = audioTime - wallTime;
    if (this.offset === null || Math.abs(target - this.offset) > this.resync) {
      this.offset = target;
    } else {
      this.offset += this.slew * (target - this.offset);
    }
  }

  /** Audio time to display at `wallTime`, or null before the first frame. */
  audioTime(wallTime) {
    return this.offset === null ? null : wallTime + this.offset - this.delay;
  }
}

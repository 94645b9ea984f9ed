"""How much a live window may draw while it shares the CPU with the model.

With software OpenGL (Mesa's llvmpipe, a machine without a GPU) drawing a frame costs CPU time the
model needs: a window drawing 720 x 720 pixels with 4x MSAA at 60 fps left a 2-core machine's
stream a third of its frames. The window therefore draws at a :class:`RenderLevel` (a frame-rate
cap, a resolution scale, an MSAA sample count), and :class:`RenderGovernor` moves along
:data:`LEVELS` from what it measures: a step down at once when the model is short of time (frames
published late or skipped, ticks near their budget) or the window misses its own frame rate, a step
up only after a quiet spell, which doubles each time a step up had to be taken back (so the level
settles instead of oscillating, as TCP's congestion window backs off).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from posetalk.stream.health import StreamHealth


@dataclass(frozen=True)
class RenderLevel:
    """Attributes:
    max_fps: frames drawn per second at most; None: the display's refresh rate.
    scale: drawing resolution relative to the window's (the image is scaled up to fill it).
    samples: MSAA samples per pixel (0: none).
    """

    max_fps: float | None
    scale: float
    samples: int

    def rate(self, refresh: float) -> float:
        """Frames per second it draws on a display refreshing at ``refresh`` Hz."""
        return min(refresh, self.max_fps or refresh)

    def describe(self) -> str:
        """One overlay line, e.g. ``DRAW 25 FPS SCALE 50% AA 0``."""
        rate = "DISPLAY" if self.max_fps is None else f"{self.max_fps:.0f} FPS"
        return f"DRAW {rate} SCALE {self.scale * 100:.0f}% AA {self.samples}"


LEVELS: tuple[RenderLevel, ...] = (
    RenderLevel(None, 1.0, 4),
    RenderLevel(30.0, 1.0, 4),
    RenderLevel(25.0, 0.75, 2),
    RenderLevel(25.0, 0.5, 0),
    RenderLevel(15.0, 0.5, 0),
    RenderLevel(10.0, 0.35, 0),
)
"""From best to cheapest. 25 fps is the model's frame rate: below it the window shows fewer frames
than the model makes, so those levels are a last resort."""


@dataclass
class RenderGovernor:
    """Chooses the window's :class:`RenderLevel` from the stream's health and the window's own rate.

    Call :meth:`observe` once per drawn frame.

    Attributes:
        levels: the ladder, best first.
        high_load: a tick load (compute over budget) above which the model is short of time.
        low_load: a tick load below which there may be room to draw more.
        min_rate: the window misses its frame rate when it draws fewer than this fraction of it.
        settle_s: seconds after a change before the next one is judged (its effect must show).
        quiet_s: seconds without trouble before a step up; doubled (up to ``max_quiet_s``) when a
            step up is taken back within ``quiet_s``, reset after ``quiet_s`` at a level.
        level: index of the current level.
    """

    levels: tuple[RenderLevel, ...] = LEVELS
    high_load: float = 0.9
    low_load: float = 0.75
    min_rate: float = 0.8
    settle_s: float = 1.0
    quiet_s: float = 4.0
    max_quiet_s: float = 64.0
    level: int = 0
    _quiet: float = field(default=4.0, init=False)
    _changed_at: float | None = field(default=None, init=False)
    _went_up_at: float | None = field(default=None, init=False)
    _trouble_at: float | None = field(default=None, init=False)
    _last_late: int | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._quiet = self.quiet_s

    @property
    def current(self) -> RenderLevel:
        return self.levels[self.level]

    def observe(self, now: float, health: StreamHealth | None, drawn_fps: float, target_fps: float) -> RenderLevel:
        """The level to draw the next frame at.

        Args:
            now: seconds on a monotonic clock.
            health: the stream's latest health, or None when none has arrived yet.
            drawn_fps: the window's measured drawing rate; target_fps: the rate it aims at now.
        """
        if self._changed_at is None:
            self._changed_at = now
        late = None if health is None else health.deadline_misses + health.skipped_frames
        newly_late = late is not None and self._last_late is not None and late > self._last_late
        self._last_late = late
        loaded = health is not None and health.tick_load is not None and health.tick_load > self.high_load
        slow = drawn_fps < self.min_rate * target_fps
        if newly_late or loaded or slow:
            self._trouble_at = now
        settled = now - self._changed_at >= self.settle_s
        if settled and (newly_late or loaded or slow) and self.level < len(self.levels) - 1:
            if self._went_up_at is not None:  # the last step up did not hold
                self._quiet = min(2 * self._quiet, self.max_quiet_s)
                self._went_up_at = None
            self._step(now, +1)
        elif settled and self.level > 0 and self._room(now, health):
            self._step(now, -1)
            self._went_up_at = now
        elif self._went_up_at is not None and now - self._went_up_at >= self._quiet:
            self._went_up_at, self._quiet = None, self.quiet_s  # the step up held
        return self.current

    def _room(self, now: float, health: StreamHealth | None) -> bool:
        """No trouble for a quiet spell, and the model's load well under its budget."""
        calm = self._trouble_at is None or now - self._trouble_at >= self._quiet
        light = health is not None and health.tick_load is not None and health.tick_load < self.low_load
        return calm and now - self._changed_at >= self._quiet and light

    def _step(self, now: float, direction: int) -> None:
        self.level += direction
        self._changed_at = now

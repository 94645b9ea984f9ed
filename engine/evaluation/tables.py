"""The evaluation report (:attr:`posetalk.evaluation.report.Evaluation.data`) as text tables."""

from __future__ import annotations

SCORE_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("opening_mae_mm", "open MAE mm", 2),
    ("width_mae_mm", "width MAE mm", 2),
    ("opening_r", "open r", 3),
    ("width_r", "width r", 3),
    ("bilabial_closure_mm", "p/b/m closed (mm)", 2),
    ("closed_pauses_mm", "pauses closed (mm)", 2),
    ("relative_threshold", "rel. threshold", 3),
    ("bilabial_closure_relative", "p/b/m closed (rel.)", 2),
    ("closed_pauses_relative", "pauses closed (rel.)", 2),
    ("vowel_ratio", "open/close vowels", 2),
)
"""(field of MethodScores, column title, decimals)."""
STYLE_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("mean_opening_mm", "mean opening mm", 2),
    ("opening_std_mm", "opening std mm", 2),
    ("corner_lift_mm", "corner lift mm", 2),
    ("head_rotation_std_deg", "head rot. std deg", 2),
    ("head_frequency_hz", "head sway Hz", 3),
    ("brow_std", "brow std", 3),
)
VARIANT_NAMES = {"reference": "reference", "offline": "offline", "stream": "stream", "stream_gated": "stream + silence gate"}
MISSING = "—"


def number(value: float | None, digits: int = 2) -> str:
    """``value`` rounded, or a dash for None (undefined, or a measure the method lacks)."""
    return MISSING if value is None else f"{value:.{digits}f}"


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table with columns padded to their widest cell."""
    widths = [max(len(headers[c]), *(len(row[c]) for row in rows)) for c in range(len(headers))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths)) + " |"

    return "\n".join([line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def _score_row(scores: dict) -> list[str]:
    return [number(scores[key], digits) for key, _, digits in SCORE_COLUMNS]


def lip_sync_text(title: str, section: dict, definitions: dict) -> str:
    """Sections 1-2: one row per method."""
    rows = [[name, section["units"][name], *_score_row(scores)] for name, scores in section["methods"].items()]
    reference = section["methods"]["reference"]
    speakers = section.get("speakers")
    who = f" ({', '.join(f'{name} {n}' for name, n in speakers.items())})" if speakers else ""
    return "\n".join([
        f"## {title}",
        f"{section['clips']} clips{who}, {section['seconds']} s; scored over {reference['frames']} frames, "
        f"{reference['bilabials']} p/b/m phones, {reference['pauses']} pauses of at least {definitions['min_pause_s']} s.",
        "",
        table(["method", "units", *(title for _, title, _ in SCORE_COLUMNS)], rows),
        "",
        f"Comparable across all methods: open r, width r, the (rel.) rates and the vowel ratio. The mm columns "
        f"(closed: below {definitions['closure_threshold_mm']} mm) exist only for methods on the built-in head "
        f"(model, reference); rel. = closed below the method's own threshold, "
        f"{definitions['relative_threshold']} (in its units). The reference row is the animator against itself.",
    ])


def style_text(section: dict) -> str:
    """Section 3: statistics per preset and source, then every check."""
    if "skipped" in section:
        return f"## 3. Style control\nskipped: {section['skipped']}"
    stats_rows = [
        [preset, source, *(number(values[source][key], digits) for key, _, digits in STYLE_COLUMNS)]
        for preset, values in section["presets"].items()
        for source in ("model", "reference")
    ]
    check_rows = [
        [c["preset"], c["rule"], c["source"], number(c["neutral"], 3), number(c["value"], 3),
         number(c["change"], 1) + (" %" if c["relative"] and c["change"] is not None else ""), "PASS" if c["passed"] else "FAIL"]
        for c in section["checks"]
    ]
    return "\n".join([
        "## 3. Style control",
        f"{section['clips']} TTS clips, {section['seconds']} s, per preset.",
        "",
        table(["preset", "source", *(title for _, title, _ in STYLE_COLUMNS)], stats_rows),
        "",
        table(["preset", "rule (vs neutral)", "source", "neutral", "preset", "change", "result"], check_rows),
        "",
        "A rule 'statistic +10%' passes when the preset raises it by more than 10 % of neutral's "
        "(-: lowers it); 'corner_lift_mm +0.5' when it lifts the corners by more than 0.5 mm.",
    ])


def streaming_text(section: dict) -> str:
    """Section 4: scores of each variant per set, then the stream's loss against offline."""
    sets = [name for name in section if isinstance(section[name], dict)]
    score_rows = [
        [name, VARIANT_NAMES[variant], *_score_row(scores)]
        for name in sets for variant, scores in section[name]["scores"].items()
    ]
    measures = [(key, title) for key, title, _ in SCORE_COLUMNS if key != "relative_threshold"]
    loss_rows = [
        [name, VARIANT_NAMES[variant], *(number(losses.get(key), 1) for key, _ in measures)]
        for name in sets for variant, losses in section[name]["loss_pct"].items()
    ]
    return "\n".join([
        "## 4. Streaming vs offline",
        f"offline: {section['offline']}; stream: {section['stream']}.",
        "",
        table(["clips", "variant", *(title for _, title, _ in SCORE_COLUMNS)], score_rows),
        "",
        "Loss against offline, % of the offline score (positive: the stream is worse; errors count up, "
        "correlations and rates down); the vowel ratio's loss is how much further the stream's ratio lies "
        "from the reference's than offline's does, in % on a log scale:",
        "",
        table(["clips", "variant", *(title for _, title in measures)], loss_rows),
    ])


def latency_text(section: dict) -> str:
    """Section 5: the benchmark's latency and deadline misses."""
    machine = f"1-minute load average {section['load_average']} on {section['cores']} cores when it started"
    if "error" in section:
        return f"## 5. Latency\n{section['error']} ({machine})"
    latency = section["latency_ms"]
    row = [number(latency["p50"], 1), number(latency["p95"], 1), number(latency["p99"], 1), number(latency["max"], 1),
           str(section["deadline_misses"]), str(section["skipped_frames"]), f"{section['frames']}/{section['expected_frames']}",
           number(section["rtf"], 3)]
    return "\n".join([
        "## 5. Latency (posetalk bench, streaming defaults, speech paced in real time)",
        "",
        table(["p50 ms", "p95 ms", "p99 ms", "max ms", "deadline misses", "skipped frames", "frames", "real-time factor"],
              [row]),
        "",
        f"Machine: {machine}; other work on the cores delays ticks (misses, skipped frames).",
    ])


def report_text(data: dict) -> str:
    """Every section of a report, then the time each phase took."""
    sections, definitions = data["sections"], data["definitions"]
    seconds = data["seconds"]
    timing = ", ".join(f"{name} {value:.0f} s" for name, value in seconds.items())
    return "\n\n".join([
        f"# posetalk eval: {data['model']}",
        lip_sync_text("1. Held-out TTS voices", sections["tts"], definitions),
        lip_sync_text("2. Real speech (held-out speakers)", sections["real"], definitions),
        style_text(sections["style"]),
        streaming_text(sections["streaming"]),
        latency_text(sections["latency"]),
        f"time: {timing}; total {sum(seconds.values()):.0f} s",
    ])

"""The comparison report as one self-contained HTML page.

Pictures are inlined as base64 ``data:`` URIs and the style sheet as a ``<style>``
element: the file can be mailed or archived and opens without a network or the files
next to it.
"""
from __future__ import annotations

import base64
import html
import math

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1100px;
       color: #222; line-height: 1.4; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.8em;
     border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f2f2f2; } td.name, th.name { text-align: left; }
figure { display: inline-block; margin: 0.4em; vertical-align: top; }
figcaption { font-size: 0.8em; color: #555; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.8em; }
.muted { color: #666; font-size: 0.9em; }
"""

# columns of the summary table: key in the figures, heading
COLUMNS = (("rate_hz", "rate (Hz)"), ("cv_isi", "CV ISI"), ("fano", "Fano"),
           ("correlation", "count corr."))
READING = (
    ("rate", "spikes of a cell divided by the recorded time; the table gives the "
             "population mean, the histogram one value per cell."),
    ("CV ISI", "standard deviation over mean of a cell's inter-spike intervals (cells with "
               "3 spikes or more): about 1 for Poisson-like firing, 0 for regular firing."),
    ("Fano", "variance over mean of a cell's spike counts in consecutive windows: 1 for a "
             "Poisson process, below 1 for regular firing, above 1 for bursty firing."),
    ("count corr.", "Pearson correlation of two cells' spike counts in bins, averaged over "
                    "all pairs whose counts vary: near 0 in an asynchronous state."),
    ("van Rossum", "distance between the same cell's spike trains in the two runs (each "
                   "train filtered by an exponential): 0 for identical trains, about 1 per "
                   "spike that has no partner within the time constant."),
    ("RMSE", "root mean square difference of the same cell's recorded trace in the two "
             "runs, at common sample times."),
)


def number(value, digits: int = 3) -> str:
    """A figure for the table; a dash where it is undefined."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "&ndash;"
    return f"{value:.{digits}g}"


def with_spread(entry: dict) -> str:
    """``mean`` or ``mean +- std (n seeds)``."""
    if entry["n"] > 1:
        return f"{number(entry['mean'])} &plusmn; {number(entry['std'], 2)}"
    return number(entry["mean"])


def image(data: bytes, caption: str) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return (f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,'
            f'{encoded}"><figcaption>{html.escape(caption)}</figcaption></figure>')


def summary_table(figures: dict) -> str:
    """One row per population: each figure for the reference and the chip."""
    ref, chip = figures["meta"]["reference"], figures["meta"]["chip"]
    traces = sorted({k for p in figures["populations"] for k in p["spread"]
                     if k.startswith("rmse_")})
    head = "".join(f'<th colspan="2">{title}</th>' for _, title in COLUMNS)
    head += "<th>van Rossum</th>" + "".join(f"<th>{k[5:]} RMSE</th>" for k in traces)
    sub = "".join(f"<th>{ref}</th><th>{chip}</th>" for _ in COLUMNS)
    sub += f"<th>{chip} vs {ref}</th>" * (1 + len(traces))
    rows = []
    for p in figures["populations"]:
        cells = "".join(f"<td>{number(p['reference'][key])}</td>"
                        f"<td>{with_spread(p['spread'][key])}</td>" for key, _ in COLUMNS)
        cells += f"<td>{with_spread(p['spread']['van_rossum'])}</td>"
        cells += "".join(f"<td>{with_spread(p['spread'][k])}</td>" if k in p["spread"]
                         else "<td>&ndash;</td>" for k in traces)
        rows.append(f'<tr><td class="name">{html.escape(p["label"])}</td>'
                    f"<td>{p['size']}</td>{cells}</tr>")
    return (f'<table><tr><th class="name" rowspan="2">population</th><th rowspan="2">cells'
            f"</th>{head}</tr><tr>{sub}</tr>{''.join(rows)}</table>")


def meta_table(meta: dict) -> str:
    rows = [("script", " ".join([meta["script"], *meta["args"]])),
            ("reference", meta["reference"]),
            ("chip runs", f"{meta['chip']}, imperfections={meta['imperfections']!r}, "
                          f"seeds {', '.join(map(str, meta['seeds']))}"),
            ("recorded time", f"{meta['t_stop_ms']:g} ms (biological)"),
            ("analysis", ", ".join(f"{k} = {v:g}" for k, v in meta["settings"].items()))]
    rows += [(f"wall time, {t['run']}", f"{t['wall_s']:.2f} s script, {t['run_wall_s']:.2f} s "
              "in run()") for t in meta["timing"]]
    return "<table>" + "".join(f'<tr><th class="name">{html.escape(k)}</th>'
                               f'<td class="name">{html.escape(str(v))}</td></tr>'
                               for k, v in rows) + "</table>"


def bullet_list(items, empty: str) -> str:
    if not items:
        return f'<p class="muted">{html.escape(empty)}</p>'
    return "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>"


def grouped_warnings(per_run: dict) -> list[str]:
    """One line per distinct warning, naming the runs that raised it."""
    runs: dict = {}
    for run, found in per_run.items():
        for w in found:
            runs.setdefault(f"{w['category']}: {w['message'].strip()}", []).append(run)
    return [f"{', '.join(names)}: {text}" for text, names in runs.items()]


def population_section(p: dict, pictures: list[tuple[str, bytes]]) -> str:
    how = "label" if p["matched_by"] == "label" else "creation order"
    kind = "spike source" if p["is_source"] else "cells"
    return (f"<h2>Population '{html.escape(p['label'])}'</h2>"
            f'<p class="muted">{p["size"]} {html.escape(p["celltype"])} {kind}, matched by '
            f"{how}; cells matched by index.</p>"
            + "".join(image(data, caption) for caption, data in pictures))


def render(figures: dict, summary_png: bytes, pictures: list) -> str:
    """The report page. ``pictures``: per population of ``figures["populations"]``,
    its ``[(caption, PNG bytes)]``."""
    meta = figures["meta"]
    warnings = grouped_warnings(figures["warnings"])
    report = figures.get("mapping_report_text") or "(no mapping report: nothing was mapped)"
    parts = [
        f"<h1>{html.escape(meta['chip'])} against {html.escape(meta['reference'])}: "
        f"{html.escape(meta['script'])}</h1>", meta_table(meta),
        "<h2>Summary</h2>", summary_table(figures),
        image(summary_png, f"per-population figures: {meta['reference']} (black) and "
                           f"{meta['chip']} (mean and std over the seeds); no bar where undefined"),
        "<h2>Hardware approximations that explain differences</h2>",
        bullet_list(figures["approximations"], "none"),
        "<h2>Warnings raised during the runs</h2>", bullet_list(warnings, "none"),
        "<h2>Notes on the matching</h2>",
        bullet_list(figures["notes"], "every recorded population was matched"),
    ]
    parts += [population_section(p, drawn)
              for p, drawn in zip(figures["populations"], pictures)]
    parts += [f"<h2>Mapping report ({html.escape(meta['chip_runs'][0])})</h2>",
              f"<pre>{html.escape(report)}</pre>", "<h2>How to read this report</h2>",
              "<dl>" + "".join(f"<dt><b>{k}</b></dt><dd>{html.escape(v)}</dd>"
                               for k, v in READING) + "</dl>"]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(meta['script'])}: {html.escape(meta['chip'])} against "
            f"{html.escape(meta['reference'])}</title><style>{STYLE}</style></head><body>"
            + "\n".join(parts) + "</body></html>\n")

//! Inline SVG charts for the report: the alert timeline, stacked by level.
//!
//! Plain SVG 1.1 with a `viewBox` and no scripts or external references,
//! so the page scales to its container and works offline.

use super::collect::Timeline;
use super::html::esc;
use crate::alert::Level;
use crate::event::Timestamp;
use std::fmt::Write;

/// Bars drawn at most: the timeline's buckets are merged to fit.
pub const MAX_BARS: usize = 96;

const W: f64 = 960.0;
const H: f64 = 240.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 34.0;

/// Fill colour of a level (also used by the HTML legend and badges).
pub const fn level_color(l: Level) -> &'static str {
    match l {
        Level::Informational => "#8a94a6",
        Level::Low => "#3b82c4",
        Level::Medium => "#d99a00",
        Level::High => "#e0560b",
        Level::Critical => "#b3261e",
    }
}

/// Bar widths a reader can count in, in minutes.
const NICE_MINUTES: &[i64] = &[
    1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10_080, 20_160, 43_200,
];

/// Display bins: the timeline's buckets merged so that at most
/// [`MAX_BARS`] cover the whole span, each a "nice" width (5 min, 1 h, …)
/// aligned on multiples of itself when the timeline's bucket width allows.
/// Returns (first start, bin width in ns, counts per bin by level).
fn bins(t: &Timeline) -> Option<(i64, i64, Vec<[u64; 5]>)> {
    let (first, last) = t.span()?;
    let w = t.width_ns();
    let span = last.0 - first.0 + w;
    let minute = 60 * Timestamp::NANOS_PER_SEC;
    let fits = |bw: i64| span.div_euclid(bw) + 2 <= MAX_BARS as i64;
    let bin_w = NICE_MINUTES
        .iter()
        .map(|m| m * minute)
        .find(|bw| bw % w == 0 && fits(*bw))
        .unwrap_or_else(|| {
            let per = (span / w) as usize;
            w.saturating_mul(per.div_ceil(MAX_BARS).max(1) as i64)
        });
    let start = first.0.div_euclid(bin_w) * bin_w;
    let n = ((last.0 - start).div_euclid(bin_w) + 1) as usize;
    let mut out = vec![[0u64; 5]; n];
    for (b, counts) in t.buckets() {
        let i = ((b.0 - start).div_euclid(bin_w) as usize).min(n - 1);
        for (a, c) in out[i].iter_mut().zip(counts) {
            *a += c;
        }
    }
    Some((start, bin_w, out))
}

/// `03-02 08:00` (UTC), or with seconds when bins are shorter than a minute.
fn short_time(t: Timestamp, seconds: bool) -> String {
    let s = t.to_string();
    // 2026-03-02T08:00:00Z → 03-02 08:00
    let date = s.get(5..10).unwrap_or("");
    let time = if seconds {
        s.get(11..19)
    } else {
        s.get(11..16)
    }
    .unwrap_or("");
    format!("{date} {time}")
}

/// A readable bin width: `1 min`, `2 h`, `3 d`.
pub fn human_width(ns: i64) -> String {
    let s = ns / Timestamp::NANOS_PER_SEC;
    match s {
        s if s % 86_400 == 0 => format!("{} d", s / 86_400),
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// The timeline chart, or `None` when no alert had a time. Returns the SVG
/// and the width of one bar, for the caption.
pub fn timeline(t: &Timeline) -> Option<(String, i64)> {
    let (start, bin_w, bins) = bins(t)?;
    let max = bins
        .iter()
        .map(|b| b.iter().sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let slot = plot_w / bins.len() as f64;
    let bar = (slot * 0.8).clamp(1.0, 36.0);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="Alerts over event time by level">"#
    );
    // Grid and y labels: 0, half, max.
    for (frac, v) in [(0.0, 0), (0.5, max / 2), (1.0, max)] {
        if frac == 0.5 && max < 2 {
            continue;
        }
        let y = TOP + plot_h * (1.0 - frac);
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#d0d5dd" stroke-width="1"/><text x="{:.1}" y="{:.1}" text-anchor="end" class="axis">{v}</text>"##,
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0
        );
    }
    for (i, counts) in bins.iter().enumerate() {
        let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
        let mut y = TOP + plot_h;
        let t0 = Timestamp(start + bin_w * i as i64);
        let mut title = format!("{t0} +{}:", human_width(bin_w));
        for l in Level::ALL.iter().rev() {
            let n = counts[*l as usize];
            if n > 0 {
                let _ = write!(title, " {} {n}", l.name());
            }
        }
        let total: u64 = counts.iter().sum();
        if total == 0 {
            continue;
        }
        let _ = write!(s, "<g><title>{}</title>", esc(&title));
        for l in Level::ALL {
            let n = counts[*l as usize];
            if n == 0 {
                continue;
            }
            let h = plot_h * n as f64 / max as f64;
            y -= h;
            let _ = write!(
                s,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{h:.1}" fill="{}"/>"#,
                level_color(*l)
            );
        }
        s.push_str("</g>");
    }
    // x labels: up to 5 bin starts, evenly spaced; the outer ones are
    // anchored inside the chart.
    let seconds = bin_w < 60 * Timestamp::NANOS_PER_SEC;
    let n = bins.len();
    let ticks: Vec<usize> = if n <= 5 {
        (0..n).collect()
    } else {
        (0..5).map(|k| k * (n - 1) / 4).collect()
    };
    for (k, i) in ticks.iter().enumerate() {
        let x = LEFT + slot * *i as f64;
        let anchor = if k == 0 {
            "start"
        } else if k + 1 == ticks.len() && n > 1 {
            "end"
        } else {
            "middle"
        };
        let label = short_time(Timestamp(start + bin_w * *i as i64), seconds);
        let _ = write!(
            s,
            r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#667085" stroke-width="1"/><text x="{x:.1}" y="{:.1}" text-anchor="{anchor}" class="axis">{}</text>"##,
            TOP + plot_h,
            TOP + plot_h + 5.0,
            H - BOTTOM + 20.0,
            esc(&label)
        );
    }
    let _ = write!(
        s,
        r##"<line x1="{LEFT}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#667085" stroke-width="1"/></svg>"##,
        TOP + plot_h,
        W - RIGHT,
        TOP + plot_h
    );
    Some((s, bin_w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_fit_and_sum_up() {
        let mut t = Timeline::default();
        for i in 0..1000i64 {
            let lvl = if i % 10 == 0 { Level::High } else { Level::Low };
            t.add(Some(Timestamp(i * 97 * Timestamp::NANOS_PER_SEC)), lvl);
        }
        let (_, _, b) = bins(&t).unwrap();
        assert!(b.len() <= MAX_BARS);
        let total: u64 = b.iter().flat_map(|c| c.iter()).sum();
        assert_eq!(total, 1000);
        let (svg, _) = timeline(&t).unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(level_color(Level::High)));
    }

    #[test]
    fn sparse_far_apart_alerts_stay_few_bars() {
        let mut t = Timeline::default();
        t.add(Some(Timestamp(0)), Level::Low);
        t.add(
            Some(Timestamp(365 * 86_400 * Timestamp::NANOS_PER_SEC)),
            Level::Low,
        );
        let (_, _, b) = bins(&t).unwrap();
        assert!(b.len() <= MAX_BARS, "{}", b.len());
        assert!(timeline(&Timeline::default()).is_none());
    }

    #[test]
    fn widths_read_well() {
        assert_eq!(human_width(60 * Timestamp::NANOS_PER_SEC), "1 min");
        assert_eq!(human_width(7200 * Timestamp::NANOS_PER_SEC), "2 h");
    }
}

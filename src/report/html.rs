//! The report page: one HTML document with inline CSS and SVG.
//!
//! Everything that came from the input (paths, rule ids from user rule
//! files, entities, masked previews) goes through [`esc`]. The page loads
//! nothing: no scripts, fonts, images or links to other sites.

use super::collect::Findings;
use super::svg;
use super::{Meta, TOP_ENTITIES, TOP_RULES};
use crate::alert::Level;
use crate::pipeline::Summary;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// `1,234,567`.
fn num(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

const CSS: &str = r#"
*{box-sizing:border-box}
body{margin:0;background:#f5f6f8;color:#1d2939;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
main{max-width:1180px;margin:0 auto;padding:16px 20px 40px}
header h1{font-size:22px;margin:8px 0 2px}
header p{margin:0;color:#475467}
section{background:#fff;border:1px solid #e4e7ec;border-radius:8px;padding:12px 16px;margin:14px 0}
h2{font-size:17px;margin:2px 0 10px}
h3{font-size:14px;margin:12px 0 6px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(130px,1fr));gap:10px;margin:14px 0}
.card{background:#fff;border:1px solid #e4e7ec;border-radius:8px;padding:8px 12px}
.card b{display:block;font-size:20px}
.card span{color:#475467;font-size:12px}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eaecf0;vertical-align:top;overflow-wrap:anywhere}
th{font-size:12px;color:#475467;font-weight:600}
td.n,th.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
code{font:12.5px/1.4 ui-monospace,"DejaVu Sans Mono",monospace;overflow-wrap:anywhere}
.lvl{display:inline-block;min-width:86px;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;text-align:center}
.bar{height:10px;border-radius:3px;background:#7f56d9;min-width:2px}
.barcell{width:22%}
.chart{width:100%;height:auto;display:block}
.chart .axis{font-size:12px;fill:#475467}
.legend{display:flex;flex-wrap:wrap;gap:14px;margin:6px 0 0;padding:0;list-style:none;font-size:12px;color:#475467}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.muted{color:#667085}
code.ex{display:inline-block;background:#f2f4f7;border-radius:4px;padding:0 6px;margin:1px 6px 1px 0;white-space:pre-wrap;overflow-wrap:anywhere}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:12px 20px}
.grid2>div{min-width:0}
footer{color:#667085;font-size:12px;margin-top:18px}
"#;

fn level_badge(l: Level) -> String {
    format!(
        r#"<span class="lvl" style="background:{}">{}</span>"#,
        svg::level_color(l),
        l.name()
    )
}

fn bar(n: u64, max: u64) -> String {
    let pct = if max == 0 {
        0.0
    } else {
        100.0 * n as f64 / max as f64
    };
    format!(r#"<div class="bar" style="width:{pct:.1}%"></div>"#)
}

/// The whole page.
pub fn page(meta: &Meta, s: &Summary, f: &Findings) -> String {
    let mut h = String::with_capacity(32 * 1024);
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.push_str("<title>picket replay report</title>\n<style>");
    h.push_str(CSS);
    h.push_str("</style>\n</head>\n<body>\n<main>\n");
    header(&mut h, meta, s, f);
    run_summary(&mut h, s);
    timeline(&mut h, f);
    rules(&mut h, s, f);
    pi(&mut h, s, f);
    entities(&mut h, f);
    errors(&mut h, s);
    let _ = write!(
        h,
        "<footer>PI appears here only as masked previews (at most a quarter of the characters); \
         raw values are never written. Entities are as in the alerts. Times are event times, UTC.\
         </footer>\n</main>\n</body>\n</html>\n"
    );
    h
}

fn header(h: &mut String, meta: &Meta, s: &Summary, f: &Findings) {
    let span = match (f.first, f.last) {
        (Some(a), Some(b)) => format!(" · alerts from {a} to {b}"),
        _ => String::new(),
    };
    let _ = writeln!(
        h,
        "<header><h1>picket replay report</h1><p>generated {} by picket {}{}</p></header>",
        esc(&meta.generated),
        esc(&meta.version),
        esc(&span)
    );
    let events: u64 = s.events.values().sum();
    let pi: u64 = s.pi.values().sum();
    let cards = [
        (num(s.inputs.len() as u64), "inputs"),
        (num(s.lines), "lines"),
        (num(events), "events"),
        (num(s.total_errors()), "parse errors"),
        (num(s.total_alerts()), "alerts"),
        (num(s.suppressed), "suppressed repeats"),
        (num(pi), "PI findings"),
        (format!("{:.2} s", s.elapsed_secs), "duration"),
    ];
    h.push_str("<div class=\"cards\">");
    for (v, k) in cards {
        let _ = write!(
            h,
            "<div class=\"card\"><b>{}</b><span>{k}</span></div>",
            esc(&v)
        );
    }
    h.push_str("</div>\n");
}

fn run_summary(h: &mut String, s: &Summary) {
    h.push_str("<section id=\"summary\"><h2>Run summary</h2><div class=\"grid2\"><div>");
    let _ = write!(
        h,
        "<h3>Inputs</h3><table><thead><tr><th>path</th><th>format</th></tr></thead><tbody>"
    );
    if s.inputs.is_empty() {
        h.push_str("<tr><td colspan=\"2\" class=\"muted\">none</td></tr>");
    }
    for i in &s.inputs {
        let how = if i.sniffed { "detected" } else { "given" };
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td>{} <span class=\"muted\">({how})</span></td></tr>",
            esc(&i.path),
            esc(i.format.name())
        );
    }
    h.push_str("</tbody></table></div><div>");
    let _ = write!(
        h,
        "<h3>Volume</h3><table><tbody>\
         <tr><td>lines read</td><td class=\"n\">{}</td></tr>\
         <tr><td>bytes read (decompressed)</td><td class=\"n\">{}</td></tr>\
         <tr><td>parse errors</td><td class=\"n\">{}</td></tr>\
         <tr><td>wall time</td><td class=\"n\">{:.2} s</td></tr>",
        num(s.lines),
        bytes(s.bytes),
        num(s.total_errors()),
        s.elapsed_secs
    );
    for (fmt, n) in &s.events {
        let _ = write!(
            h,
            "<tr><td>events, <code>{}</code></td><td class=\"n\">{}</td></tr>",
            esc(fmt.name()),
            num(*n)
        );
    }
    h.push_str("</tbody></table></div></div></section>\n");
}

fn timeline(h: &mut String, f: &Findings) {
    h.push_str("<section id=\"timeline\"><h2>Alerts over time, by level</h2>");
    match svg::timeline(&f.timeline) {
        None => h.push_str("<p class=\"muted\">No alert with a timestamp.</p>"),
        Some((chart, bin_w)) => {
            h.push_str(&chart);
            h.push_str("<ul class=\"legend\">");
            for l in Level::ALL.iter().rev() {
                let _ = write!(
                    h,
                    "<li><i style=\"background:{}\"></i>{}</li>",
                    svg::level_color(*l),
                    l.name()
                );
            }
            let _ = write!(
                h,
                "<li>one bar = {} of event time (UTC)</li>",
                svg::human_width(bin_w)
            );
            if f.timeline.untimed > 0 {
                let _ = write!(
                    h,
                    "<li>{} alerts without a timestamp are not drawn</li>",
                    num(f.timeline.untimed)
                );
            }
            h.push_str("</ul>");
        }
    }
    h.push_str("</section>\n");
}

/// Rules by alerts delivered, most first (ties: higher level, then id).
fn ranked(f: &Findings) -> Vec<(&String, &super::collect::RuleTally)> {
    let mut v: Vec<_> = f.rules.iter().collect();
    v.sort_by(|a, b| {
        b.1.alerts
            .cmp(&a.1.alerts)
            .then(b.1.level.cmp(&a.1.level))
            .then(a.0.cmp(b.0))
    });
    v
}

fn rules(h: &mut String, s: &Summary, f: &Findings) {
    h.push_str("<section id=\"rules\"><h2>Top rules</h2>");
    let v = ranked(f);
    if v.is_empty() {
        h.push_str("<p class=\"muted\">No alerts.</p></section>\n");
        return;
    }
    let max = v.first().map_or(0, |r| r.1.alerts);
    h.push_str(
        "<table><thead><tr><th>level</th><th>rule</th><th>kind</th><th class=\"n\">alerts</th>\
         <th class=\"n\">suppressed</th><th class=\"barcell\"></th></tr></thead><tbody>",
    );
    for (id, r) in v.iter().take(TOP_RULES) {
        let kinds: Vec<&str> = r.kinds.iter().map(|k| k.name()).collect();
        let _ = write!(
            h,
            "<tr><td>{}</td><td><code>{}</code><br><span class=\"muted\">{}</span></td><td>{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"barcell\">{}</td></tr>",
            level_badge(r.level),
            esc(id),
            esc(&r.title),
            esc(&kinds.join(", ")),
            num(r.alerts),
            num(r.suppressed),
            bar(r.alerts, max)
        );
    }
    h.push_str("</tbody></table>");
    if v.len() > TOP_RULES {
        let _ = write!(
            h,
            "<p class=\"muted\">{} more rules raised alerts.</p>",
            v.len() - TOP_RULES
        );
    }
    if s.suppressed > 0 {
        let _ = write!(
            h,
            "<p class=\"muted\">{} repeats of the same rule and entity were suppressed in all.</p>",
            num(s.suppressed)
        );
    }
    h.push_str("</section>\n");
}

fn pi(h: &mut String, s: &Summary, f: &Findings) {
    h.push_str("<section id=\"pi\"><h2>Personal information found</h2>");
    if s.pi.is_empty() {
        h.push_str("<p class=\"muted\">No PI findings.</p></section>\n");
        return;
    }
    let mut by_cat: BTreeMap<&str, u64> = BTreeMap::new();
    for ((c, _), n) in &s.pi {
        *by_cat.entry(c).or_default() += n;
    }
    let mut cats: Vec<_> = by_cat.into_iter().collect();
    cats.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let max = cats.first().map_or(0, |c| c.1);
    h.push_str("<div class=\"grid2\"><div><h3>By category</h3><table><thead><tr><th>category</th><th class=\"n\">findings</th><th class=\"barcell\"></th></tr></thead><tbody>");
    for (c, n) in &cats {
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"barcell\">{}</td></tr>",
            esc(c),
            num(*n),
            bar(*n, max)
        );
    }
    h.push_str("</tbody></table></div><div><h3>By field</h3><table><thead><tr><th>field</th><th class=\"n\">findings</th></tr></thead><tbody>");
    let mut by_field: BTreeMap<&str, u64> = BTreeMap::new();
    for ((_, fl), n) in &s.pi {
        *by_field.entry(fl).or_default() += n;
    }
    for (fl, n) in by_field {
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td class=\"n\">{}</td></tr>",
            esc(fl),
            num(n)
        );
    }
    h.push_str("</tbody></table></div></div>");
    h.push_str(
        "<h3>By category and field, with masked examples</h3><table><thead><tr><th>category</th>\
         <th>field</th><th class=\"n\">findings</th><th>masked examples (from alerts)</th></tr></thead><tbody>",
    );
    for ((c, fl), n) in &s.pi {
        let ex = f.pi.get(&(*c, *fl));
        let masked = ex.map_or(String::new(), |e| {
            e.masked
                .iter()
                .map(|m| format!("<code class=\"ex\">{}</code>", esc(m)))
                .collect::<String>()
        });
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td><code>{}</code></td><td class=\"n\">{}</td><td>{}</td></tr>",
            esc(c),
            esc(fl),
            num(*n),
            masked
        );
    }
    h.push_str("</tbody></table></section>\n");
}

fn entities(h: &mut String, f: &Findings) {
    h.push_str("<section id=\"entities\"><h2>Top entities per rule</h2>");
    let v = ranked(f);
    if v.is_empty() {
        h.push_str("<p class=\"muted\">No alerts.</p></section>\n");
        return;
    }
    h.push_str("<div class=\"grid2\">");
    for (id, r) in v.iter().take(TOP_RULES) {
        let _ = write!(
            h,
            "<div><h3>{} <code>{}</code></h3><table><thead><tr><th>entity</th><th class=\"n\">alerts</th></tr></thead><tbody>",
            level_badge(r.level),
            esc(id)
        );
        let top = r.entities.top(TOP_ENTITIES);
        if top.is_empty() {
            h.push_str("<tr><td colspan=\"2\" class=\"muted\">no entity</td></tr>");
        }
        for (e, n, approx) in top {
            let _ = write!(
                h,
                "<tr><td><code>{}</code></td><td class=\"n\">{}{}</td></tr>",
                esc(e),
                if approx { "≤ " } else { "" },
                num(n)
            );
        }
        h.push_str("</tbody></table></div>");
    }
    h.push_str("</div></section>\n");
}

fn errors(h: &mut String, s: &Summary) {
    h.push_str("<section id=\"errors\"><h2>Parse errors</h2>");
    if s.errors.is_empty() {
        h.push_str("<p class=\"muted\">Every line parsed.</p></section>\n");
        return;
    }
    h.push_str(
        "<table><thead><tr><th>format</th><th>reason</th><th>meaning</th><th class=\"n\">lines</th></tr></thead><tbody>",
    );
    for ((fmt, r), n) in &s.errors {
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td class=\"n\">{}</td></tr>",
            esc(fmt.name()),
            esc(r.label()),
            esc(r.text()),
            num(*n)
        );
    }
    h.push_str("</tbody></table>");
    if !s.error_samples.is_empty() {
        h.push_str("<h3>First malformed lines</h3><table><thead><tr><th>where</th><th>reason</th></tr></thead><tbody>");
        for e in &s.error_samples {
            let _ = write!(
                h,
                "<tr><td><code>{}:{}:{}</code></td><td>{}</td></tr>",
                esc(&e.path),
                e.line,
                e.column,
                esc(e.reason.text())
            );
        }
        h.push_str("</tbody></table><p class=\"muted\">Line contents are not shown: a malformed line may hold PI.</p>");
    }
    h.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(esc("a\u{1b}b"), "a\u{fffd}b");
    }

    #[test]
    fn numbers_and_sizes() {
        assert_eq!(num(0), "0");
        assert_eq!(num(1234567), "1,234,567");
        assert_eq!(bytes(2048), "2.0 KiB");
    }

    #[test]
    fn empty_run_renders_every_section() {
        let meta = Meta {
            generated: "now".into(),
            version: "0".into(),
        };
        let page = page(&meta, &Summary::default(), &Findings::default());
        for id in ["summary", "timeline", "rules", "pi", "entities", "errors"] {
            assert!(page.contains(&format!("<section id=\"{id}\">")), "{id}");
        }
        assert!(!page.contains("http://") && !page.contains("https://"));
    }
}

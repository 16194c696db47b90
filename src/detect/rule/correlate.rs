//! Compiling correlation rule documents (references stay unresolved until
//! the rule set is linked: see [`crate::detect::correlation`]).

use super::compile::{Header, Locator, header};
use super::compiled::RuleSource;
use super::error::RuleError;
use super::examples::CorrelationExamples;
use super::spec::{CorrelationConditionSpec, RuleDoc, Scalar};
use crate::alert::RuleInfo;
use crate::detect::correlation::{
    BehaviourParams, CorrelationDef, CorrelationKind, Measure, Op, Threshold,
};
use crate::event::Timestamp;
use serde_saphyr::{Location, Spanned};
use std::sync::Arc;

/// The correlation types, for error messages.
const TYPES: &str = "event_count, value_count, temporal, temporal_ordered, value_sum, value_avg, value_percentile; picket extensions: new_terms, anomaly, off_hours, sequential";

/// Longest timespan accepted (a year): windows longer than this are a
/// mistake, and this keeps nanosecond arithmetic far from overflow.
const MAX_TIMESPAN_SECS: i64 = 366 * 86_400;

/// Compiles one correlation rule document.
pub(crate) fn compile_correlation(
    doc: Spanned<RuleDoc>,
    loc: &Locator<'_>,
    fallback_id: String,
) -> Result<CorrelationDef, Vec<RuleError>> {
    let at = doc.referenced;
    let d = doc.value;
    let mut errs = Vec::new();
    let Header {
        id,
        title,
        level,
        tags,
        name,
    } = header(&d, &at, loc, fallback_id, &mut errs);
    if let Some(det) = &d.detection {
        errs.push(loc.err(
            &det.referenced,
            "a correlation rule has no `detection`: put the detection in its own rule and refer to it in `correlation.rules`",
        ));
    }
    for (what, where_) in [
        ("x-picket-message", d.message.as_ref().map(|m| m.referenced)),
        (
            "x-picket-entity",
            d.entity
                .as_ref()
                .and_then(|e| e.first())
                .map(|e| e.referenced),
        ),
    ] {
        if let Some(w) = where_ {
            errs.push(loc.err(
                &w,
                format!(
                    "`{what}` does not apply to correlation rules (their entity is `group-by`)"
                ),
            ));
        }
    }
    let Some(c) = &d.correlation else {
        errs.push(loc.err(&at, "not a correlation rule"));
        return Err(errs);
    };
    let cat = c.referenced;
    let c = &c.value;
    let kind = match &c.kind {
        None => {
            errs.push(loc.err(&cat, format!("`correlation` has no `type` ({TYPES})")));
            None
        }
        Some(k) => kind(&k.value, c.condition.as_ref().map(|c| &c.value))
            .map_err(|m| errs.push(loc.err(&k.referenced, m)))
            .ok(),
    };
    let kind = match (kind, &c.measure) {
        (Some(CorrelationKind::Anomaly(_)), Some(m)) => match Measure::parse(&m.value) {
            Some(m) => Some(CorrelationKind::Anomaly(m)),
            None => {
                errs.push(loc.err(
                    &m.referenced,
                    "`x-picket-measure` is `events`, `distinct` or `sum`",
                ));
                None
            }
        },
        (k, Some(m)) if !matches!(k, Some(CorrelationKind::Anomaly(_))) => {
            errs.push(loc.err(
                &m.referenced,
                "`x-picket-measure` only applies to `anomaly`",
            ));
            k
        }
        (k, _) => k,
    };
    let behaviour = behaviour(c, kind, loc, &mut errs);
    let (refs, refs_at) = match &c.rules {
        Some(r) if !r.value.0.is_empty() => (r.value.0.clone(), r.referenced),
        Some(r) => {
            errs.push(loc.err(&r.referenced, "`correlation.rules` is empty"));
            (Vec::new(), r.referenced)
        }
        None => {
            errs.push(loc.err(&cat, "`correlation` has no `rules`"));
            (Vec::new(), cat)
        }
    };
    let group_by = c
        .group_by
        .as_ref()
        .map(|g| g.value.0.clone())
        .unwrap_or_default();
    let timespan_ns = match &c.timespan {
        // `new_terms`: how long a term stays known (default: for ever);
        // `off_hours` has no window.
        None if matches!(
            kind,
            Some(CorrelationKind::NewTerms | CorrelationKind::OffHours)
        ) =>
        {
            0
        }
        None => {
            errs.push(loc.err(&cat, "`correlation` has no `timespan` (e.g. `5m`)"));
            0
        }
        Some(t) => timespan(&t.value)
            .map_err(|m| errs.push(loc.err(&t.referenced, m)))
            .unwrap_or(0),
    };
    let (threshold, field) = match kind {
        None => (Threshold(Vec::new()), None),
        Some(k) => condition(k, c.condition.as_ref(), refs.len(), &cat, loc, &mut errs),
    };
    let generate = d
        .generate
        .as_ref()
        .or(c.generate.as_ref())
        .is_some_and(|g| g.value);
    let examples = d
        .tests
        .as_ref()
        .and_then(|t| CorrelationExamples::from_spec(&t.value, &t.referenced, loc, &mut errs));
    let Some(kind) = kind.filter(|_| errs.is_empty()) else {
        return Err(errs);
    };
    Ok(CorrelationDef {
        info: Arc::new(RuleInfo {
            id,
            title,
            level,
            tags,
        }),
        source: RuleSource {
            path: loc.path.into(),
            line: at.line().max(1),
        },
        name,
        kind,
        refs,
        refs_at: (refs_at.line().max(1), refs_at.column().max(1)),
        group_by,
        aliases: c
            .aliases
            .as_ref()
            .map(|a| a.value.clone())
            .unwrap_or_default(),
        field,
        timespan_ns,
        threshold,
        generate,
        behaviour,
        examples,
    })
}

/// The `x-picket-*` tunables of the baseline types.
fn behaviour(
    c: &super::spec::CorrelationSpec,
    kind: Option<CorrelationKind>,
    loc: &Locator<'_>,
    errs: &mut Vec<RuleError>,
) -> BehaviourParams {
    let mut p = BehaviourParams::default();
    let behavioural = kind.is_none_or(CorrelationKind::is_learned);
    let only = |at: &Location, what: &str, applies: bool, errs: &mut Vec<RuleError>| {
        if !applies {
            errs.push(loc.err(
                at,
                format!("`{what}` does not apply to this correlation type"),
            ));
        }
    };
    if let Some(l) = &c.learning {
        only(&l.referenced, "x-picket-learning", behavioural, errs);
        match timespan(&l.value) {
            Ok(ns) => p.learning_ns = ns,
            Err(m) => errs.push(loc.err(&l.referenced, m)),
        }
    }
    let anomaly = kind.is_none_or(|k| matches!(k, CorrelationKind::Anomaly(_)));
    let off_hours = kind.is_none_or(|k| k == CorrelationKind::OffHours);
    if let Some(s) = &c.sensitivity {
        only(&s.referenced, "x-picket-sensitivity", anomaly, errs);
        if !(s.value.is_finite() && s.value > 0.0) {
            errs.push(loc.err(&s.referenced, "`x-picket-sensitivity` must be above 0"));
        }
        p.sensitivity = s.value;
    }
    if let Some(h) = &c.half_life {
        only(&h.referenced, "x-picket-half-life", off_hours, errs);
        match timespan(&h.value) {
            Ok(ns) => p.half_life_ns = ns,
            Err(m) => errs.push(loc.err(&h.referenced, m)),
        }
    }
    if let Some(m) = &c.min_share {
        only(&m.referenced, "x-picket-min-share", off_hours, errs);
        if !(0.0..1.0).contains(&m.value) {
            errs.push(loc.err(&m.referenced, "`x-picket-min-share` must be in [0, 1)"));
        }
        p.min_share = m.value;
    }
    p
}

fn kind(name: &str, cond: Option<&CorrelationConditionSpec>) -> Result<CorrelationKind, String> {
    Ok(match name.trim() {
        "event_count" => CorrelationKind::EventCount,
        "value_count" => CorrelationKind::ValueCount,
        "temporal" => CorrelationKind::Temporal,
        "temporal_ordered" => CorrelationKind::TemporalOrdered,
        "value_sum" => CorrelationKind::ValueSum,
        "value_avg" => CorrelationKind::ValueAvg,
        "value_percentile" => {
            let p = cond.and_then(|c| c.percentile).unwrap_or(50.0);
            if !(0.0..=100.0).contains(&p) {
                return Err(format!("`percentile` must be between 0 and 100, not {p}"));
            }
            CorrelationKind::ValuePercentile(p)
        }
        "new_terms" => CorrelationKind::NewTerms,
        "anomaly" => CorrelationKind::Anomaly(Measure::Events),
        "off_hours" => CorrelationKind::OffHours,
        "sequential" => CorrelationKind::Sequential,
        other => return Err(format!("unknown correlation type `{other}` ({TYPES})")),
    })
}

/// Parses `<number><s|m|h|d|w>`.
pub(crate) fn timespan(v: &Scalar) -> Result<i64, String> {
    let bad = |s: &str| {
        format!("invalid timespan `{s}`: write a number and a unit, s, m, h, d or w (e.g. `90m`)")
    };
    let Scalar::Str(s) = v else {
        let t = v.text().unwrap_or_default();
        return Err(bad(&t));
    };
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: i64 = num.parse().map_err(|_| bad(s))?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad(s)),
    };
    let secs = n
        .checked_mul(mult)
        .filter(|s| *s > 0 && *s <= MAX_TIMESPAN_SECS);
    secs.map(|s| s * Timestamp::NANOS_PER_SEC)
        .ok_or_else(|| format!("timespan `{s}` must be more than 0 and at most 366 days"))
}

/// The threshold and (for `value_*` types) the field of a condition.
fn condition(
    kind: CorrelationKind,
    spec: Option<&Spanned<CorrelationConditionSpec>>,
    n_refs: usize,
    cat: &Location,
    loc: &Locator<'_>,
    errs: &mut Vec<RuleError>,
) -> (Threshold, Option<String>) {
    let temporal = matches!(
        kind,
        CorrelationKind::Temporal | CorrelationKind::TemporalOrdered
    );
    let Some(spec) = spec else {
        // Baseline types alert against what they learned; a condition is
        // optional (`anomaly`: a minimum) or has only the field.
        if matches!(
            kind,
            CorrelationKind::OffHours | CorrelationKind::Anomaly(Measure::Events)
        ) {
            return (Threshold(Vec::new()), None);
        }
        if temporal {
            // Sigma: "All events defined by the rules referred … must occur".
            return (Threshold(vec![(Op::Gte, n_refs as f64)]), None);
        }
        errs.push(loc.err(
            cat,
            format!("`{}` needs a `condition` (e.g. `gte: 10`)", kind.name()),
        ));
        return (Threshold(Vec::new()), None);
    };
    let at = spec.referenced;
    let c = &spec.value;
    let ops: Vec<(Op, f64)> = [
        (Op::Gt, c.gt),
        (Op::Gte, c.gte),
        (Op::Lt, c.lt),
        (Op::Lte, c.lte),
        (Op::Eq, c.eq),
        (Op::Neq, c.neq),
    ]
    .into_iter()
    .filter_map(|(op, v)| v.map(|v| (op, v)))
    .collect();
    if ops.is_empty() && (!kind.is_behavioural() || kind == CorrelationKind::Sequential) {
        errs.push(loc.err(
            &at,
            "the condition needs a comparison: gt, gte, lt, lte, eq or neq",
        ));
    }
    if ops.iter().any(|(_, v)| !v.is_finite()) {
        errs.push(loc.err(&at, "condition values must be finite numbers"));
    }
    if !ops.is_empty() && matches!(kind, CorrelationKind::NewTerms | CorrelationKind::OffHours) {
        errs.push(loc.err(
            &at,
            format!("`{}` takes no comparison in its condition", kind.name()),
        ));
    }
    if c.percentile.is_some() && !matches!(kind, CorrelationKind::ValuePercentile(_)) {
        errs.push(loc.err(&at, "`percentile` only applies to `value_percentile`"));
    }
    let fields = c.field.as_ref().map(|f| (f.value.0.clone(), f.referenced));
    let field = match (kind.has_field(), fields) {
        (true, Some((f, at))) => match f.as_slice() {
            [one] => Some(one.clone()),
            _ => {
                errs.push(loc.err(&at, format!("`{}` takes exactly one `field`", kind.name())));
                None
            }
        },
        (true, None) => {
            errs.push(loc.err(
                &at,
                format!("`{}` needs `field` in its condition", kind.name()),
            ));
            None
        }
        (false, Some((_, at))) => {
            errs.push(loc.err(&at, format!("`field` does not apply to `{}`", kind.name())));
            None
        }
        (false, None) => None,
    };
    (Threshold(ops), field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespans() {
        let t = |s: &str| timespan(&Scalar::Str(s.into()));
        assert_eq!(t("30s"), Ok(30 * Timestamp::NANOS_PER_SEC));
        assert_eq!(t("90m"), Ok(5_400 * Timestamp::NANOS_PER_SEC));
        assert_eq!(t("1d"), Ok(86_400 * Timestamp::NANOS_PER_SEC));
        for bad in [
            "",
            "5",
            "m",
            "1.5h",
            "5 m",
            "-1s",
            "0s",
            "400d",
            "99999999999999999999s",
        ] {
            assert!(t(bad).is_err(), "{bad}");
        }
        assert!(timespan(&Scalar::Int(60)).is_err());
    }
}

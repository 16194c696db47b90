//! Tests of the `cadf` format.

use super::*;

fn parse(line: &str) -> Result<Vec<(String, String)>, Reason> {
    let mut ev = Event::new(Format::Cadf, Default::default());
    CadfParser
        .parse(line.as_bytes(), &mut ev)
        .map_err(|e| e.reason)?;
    let out = crate::parse::field_pairs(&ev);
    Ok(out)
}

fn has(got: &[(String, String)], want: &[(&str, &str)]) {
    for (k, v) in want {
        let found = got.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(found, Some(*v), "{k} in {got:?}");
    }
}

/// The shape of an IBM Cloud Activity Tracker event for Cloudant (made up
/// for picket's tests, following IBM's documented field list).
pub(crate) const CLOUDANT: &str = r#"{"eventTime":"2026-03-02T08:00:01.12+0000","action":"cloudantnosqldb.any-document.read","outcome":"success","message":"Cloudant NoSQL DB: read document","initiator":{"id":"IBMid-550000ABCD","name":"ops-anna@example.com","typeURI":"service/security/account/user","host":{"address":"203.0.113.9","agent":"curl/8.0"},"credential":{"type":"apikey","token":"secret-never-kept"}},"target":{"id":"crn:v1:bluemix:public:cloudantnosqldb:us-south:a/1234abcd5678:0f1e2d3c::","name":"acme-cloudant","typeURI":"cloudantnosqldb/database"},"observer":{"name":"ActivityTracker"},"reason":{"reasonCode":200,"reasonType":"OK"},"severity":"normal","requestData":{"method":"GET","url":"/acme_customers/jane%40example.com?rev=2"},"dataEvent":true,"logSourceCRN":"crn:v1:bluemix:public:cloudantnosqldb:us-south:a/1234abcd5678:0f1e2d3c::"}"#;

#[test]
fn cloudant_activity_tracker() {
    let got = parse(CLOUDANT).unwrap();
    has(
        &got,
        &[
            ("@timestamp", "2026-03-02T08:00:01.12Z"),
            ("event.action", "cloudantnosqldb.any-document.read"),
            ("event.outcome", "success"),
            ("user.name", "ops-anna@example.com"),
            ("user.id", "IBMid-550000ABCD"),
            ("source.ip", "203.0.113.9"),
            ("user_agent.original", "curl/8.0"),
            ("http.response.status_code", "200"),
            ("http.request.method", "GET"),
            ("url.path", "/acme_customers/jane%40example.com"),
            ("url.query", "rev=2"),
            ("db.name", "acme_customers"),
            ("db.doc_id", "jane@example.com"),
            ("cloud.account.id", "1234abcd5678"),
            ("cloud.region", "us-south"),
            ("cadf.target.typeURI", "cloudantnosqldb/database"),
            ("cadf.target.name", "acme-cloudant"),
            ("cadf.observer.name", "ActivityTracker"),
            ("cadf.severity", "normal"),
            ("cadf.dataEvent", "true"),
            ("cadf.initiator.credential.type", "apikey"),
        ],
    );
    assert!(
        got.iter().all(|(_, v)| !v.contains("secret-never-kept")),
        "{got:?}"
    );
}

#[test]
fn target_names_a_database_or_document() {
    let line = r#"{"action":"cloudantnosqldb.data-document.write","outcome":"pending","target":{"name":"orders/o-17","typeURI":"cloudantnosqldb/document"}}"#;
    let got = parse(line).unwrap();
    has(
        &got,
        &[
            ("db.name", "orders"),
            ("db.doc_id", "o-17"),
            ("event.outcome", "unknown"),
        ],
    );
    let line = r#"{"action":"cloudantnosqldb.database.delete","outcome":"failure","reason":{"reasonCode":"403"},"target":{"name":"orders","typeURI":"cloudantnosqldb/database"}}"#;
    let got = parse(line).unwrap();
    has(
        &got,
        &[
            ("db.name", "orders"),
            ("event.outcome", "failure"),
            ("http.response.status_code", "403"),
        ],
    );
}

#[test]
fn pycadf_examples() {
    // openstack/pycadf doc/source/event_concept.rst, example 1 (Apache-2.0), on one line.
    let line = r#"{"typeURI":"http://schemas.dmtf.org/cloud/audit/1.0/event","eventTime":"2014-02-27T19:29:30.855665+0000","target":{"typeURI":"service/compute/node","addresses":[{"url":"http://9.26.26.250:8774/v2/e7e2","name":"admin"},{"url":"http://9.26.26.250:8774/v2/e7e2","name":"public"}],"id":"0674","name":"nova"},"observer":{"id":"target"},"eventType":"activity","initiator":{"typeURI":"data/security/account/user","name":"admin","credential":{"token":"MIIQzgYJKoZ xxxxxxxx","identity_status":"Confirmed"},"host":{"agent":"python-novaclient","address":"9.26.26.250"},"project_id":"e7e2","id":"68a3"},"reason":{"reasonCode":"200","reasonType":"HTTP"},"action":"authenticate/logon","outcome":"success","id":"0a19","requestPath":"/v2/e7e2/os-certificates"}"#;
    let got = parse(line).unwrap();
    has(
        &got,
        &[
            ("@timestamp", "2014-02-27T19:29:30.855665Z"),
            ("event.action", "authenticate/logon"),
            ("user.name", "admin"),
            ("user.id", "68a3"),
            ("source.ip", "9.26.26.250"),
            ("user_agent.original", "python-novaclient"),
            ("http.response.status_code", "200"),
            ("url.path", "/v2/e7e2/os-certificates"),
            ("cadf.target.addresses.name", "admin,public"),
            ("cadf.initiator.credential.identity_status", "Confirmed"),
            ("cadf.eventType", "activity"),
        ],
    );
    assert!(got.iter().all(|(_, v)| !v.contains("MIIQ")), "{got:?}");
}

#[test]
fn outcomes() {
    for (o, want) in [
        ("success", "success"),
        ("Failure", "failure"),
        ("pending", "unknown"),
        ("??", "unknown"),
    ] {
        assert_eq!(outcome(o), want);
    }
}

#[test]
fn an_unreadable_time_keeps_the_event() {
    let got = parse(r#"{"action":"a.b.c","outcome":"success","eventTime":"later","initiator":{}}"#)
        .unwrap();
    has(
        &got,
        &[("cadf.eventTime", "later"), ("event.action", "a.b.c")],
    );
    assert!(got.iter().all(|(n, _)| n != "@timestamp"));
}

#[test]
fn errors() {
    for (line, reason) in [
        (r#"{"a":1}"#, Reason::WrongShape),
        (r#"{"action":"read"}"#, Reason::WrongShape),
        (
            r#"{"action":"login","outcome":"success","eventTime":"2026-03-02T08:00:01Z"}"#,
            Reason::WrongShape,
        ),
        (
            r#"{"kind":"Event","verb":"get","objectRef":{}}"#,
            Reason::WrongShape,
        ),
        (
            r#"{"eventName":"GetObject","eventSource":"s3.amazonaws.com"}"#,
            Reason::WrongShape,
        ),
        (r#"{"action":["a"],"outcome":"success"}"#, Reason::WrongType),
        (r#"{"action":"a","outcome":"success""#, Reason::Truncated),
    ] {
        assert_eq!(parse(line).unwrap_err(), reason, "{line}");
    }
}

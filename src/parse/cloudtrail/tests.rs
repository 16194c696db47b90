//! Tests of the `cloudtrail` format.

use super::*;

fn multi(line: &str) -> Result<Vec<Vec<(String, String)>>, Reason> {
    let mut out = Vec::new();
    CloudtrailParser
        .parse_multi(line.as_bytes(), Origin::default(), &mut |e| {
            out.push(crate::parse::field_pairs(&e))
        })
        .map_err(|e| e.reason)?;
    Ok(out)
}

fn one(line: &str) -> Vec<(String, String)> {
    let mut ev = Event::new(Format::Cloudtrail, Origin::default());
    CloudtrailParser.parse(line.as_bytes(), &mut ev).unwrap();
    crate::parse::field_pairs(&ev)
}

fn has(got: &[(String, String)], want: &[(&str, &str)]) {
    for (k, v) in want {
        let found = got.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(found, Some(*v), "{k} in {got:?}");
    }
}

const GET_OBJECT: &str = r#"{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:jane@example.com","arn":"arn:aws:sts::123456789012:assumed-role/Support/jane@example.com","accountId":"123456789012","accessKeyId":"ASIAEXAMPLE","sessionContext":{"sessionIssuer":{"type":"Role","userName":"Support"},"attributes":{"mfaAuthenticated":"false"}}},"eventTime":"2026-03-02T08:00:01Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.9","userAgent":"[aws-cli/2.13.5]","requestParameters":{"bucketName":"acme-exports","key":"customers/jane.doe@example.com.csv","Host":"acme-exports.s3.eu-west-1.amazonaws.com"},"responseElements":null,"requestID":"R1","eventID":"E1","readOnly":true,"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::acme-exports/customers/x"},{"accountId":"123456789012","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::acme-exports"}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"123456789012","eventCategory":"Data"}"#;

#[test]
fn one_record_per_line() {
    let got = one(GET_OBJECT);
    has(
        &got,
        &[
            ("@timestamp", "2026-03-02T08:00:01Z"),
            ("event.action", "GetObject"),
            ("event.outcome", "success"),
            ("source.ip", "203.0.113.9"),
            ("user.name", "jane@example.com"),
            ("user.id", "AROAEXAMPLE:jane@example.com"),
            ("user_agent.original", "[aws-cli/2.13.5]"),
            ("cloud.account.id", "123456789012"),
            ("db.name", "acme-exports"),
            ("db.doc_id", "customers/jane.doe@example.com.csv"),
            ("cloud.region", "eu-west-1"),
            ("cloudtrail.event_source", "s3.amazonaws.com"),
            ("cloudtrail.user_identity.type", "AssumedRole"),
            (
                "cloudtrail.user_identity.session_context.sessionIssuer.userName",
                "Support",
            ),
            (
                "cloudtrail.user_identity.session_context.attributes.mfaAuthenticated",
                "false",
            ),
            ("cloudtrail.request_parameters.bucketName", "acme-exports"),
            (
                "cloudtrail.resources.type",
                "AWS::S3::Object,AWS::S3::Bucket",
            ),
            ("cloudtrail.read_only", "true"),
            ("cloudtrail.management_event", "false"),
            ("cloudtrail.event_category", "Data"),
        ],
    );
    let raw = got
        .iter()
        .find(|(n, _)| n == "cloudtrail.request_parameters")
        .unwrap();
    assert!(raw.1.starts_with("{\"bucketName\""), "{}", raw.1);
}

#[test]
fn records_files_stream_every_record() {
    let denied = r#"{"eventVersion":"1.08","eventTime":"2026-03-02T08:00:02Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","sourceIPAddress":"iam.amazonaws.com","userIdentity":{"type":"IAMUser","userName":"bob","accountId":"210987654321"},"errorCode":"AccessDenied","errorMessage":"User: bob is not authorized"}"#;
    let file = format!(r#"{{"Records":[{GET_OBJECT},{denied}]}}"#);
    let events = multi(&file).unwrap();
    assert_eq!(events.len(), 2);
    has(&events[0], &[("event.action", "GetObject")]);
    has(
        &events[1],
        &[
            ("event.action", "CreateUser"),
            ("event.outcome", "failure"),
            ("cloudtrail.error_code", "AccessDenied"),
            ("source.domain", "iam.amazonaws.com"),
            ("user.name", "bob"),
            ("cloud.account.id", "210987654321"),
        ],
    );
    // Records not first, as a re-serializer might write it.
    let later = format!(r#"{{"Other":{{"x":[1]}},"Records":[{denied}]}}"#);
    assert_eq!(multi(&later).unwrap().len(), 1);
    // `parse` accepts a file of one record and refuses more.
    one(&later);
    let mut ev = Event::new(Format::Cloudtrail, Origin::default());
    assert_eq!(
        CloudtrailParser
            .parse(file.as_bytes(), &mut ev)
            .unwrap_err()
            .reason,
        Reason::WrongShape
    );
    assert_eq!(multi(r#"{"Records":[]}"#).unwrap().len(), 0);
}

#[test]
fn console_login_failure_and_root() {
    let got = one(
        r#"{"eventVersion":"1.05","userIdentity":{"type":"Root","principalId":"123456789012","arn":"arn:aws:iam::123456789012:root","accountId":"123456789012"},"eventTime":"2019-01-01T00:00:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","sourceIPAddress":"198.51.100.7","responseElements":{"ConsoleLogin":"Failure"},"additionalEventData":{"MFAUsed":"No"},"errorMessage":"Failed authentication"}"#,
    );
    has(
        &got,
        &[
            ("event.outcome", "failure"),
            ("user.name", "root"),
            ("cloud.account.id", "123456789012"),
            ("cloudtrail.additional_event_data.MFAUsed", "No"),
        ],
    );
}

#[test]
fn lowercase_exports() {
    let got = one(
        r#"{"awsregion":"eu-west-1","eventid":"5d4b","eventname":"GetRecords","eventsource":"dynamodb.amazonaws.com","eventtime":"2023-01-10 21:04:02","eventtype":"AwsApiCall","eventversion":"1.08","managementevent":"true"}"#,
    );
    has(
        &got,
        &[
            ("@timestamp", "2023-01-10T21:04:02Z"),
            ("event.action", "GetRecords"),
            ("cloudtrail.management_event", "true"),
        ],
    );
}

#[test]
fn errors() {
    for (line, reason) in [
        (r#"{"verb":"get","objectRef":{}}"#, Reason::WrongShape),
        (r#"{"eventName":"x"}"#, Reason::WrongShape),
        (
            r#"{"eventName":"signup","eventTime":"2026-03-02T08:00:01Z"}"#,
            Reason::WrongShape,
        ),
        (r#"{"eventName":5,"eventSource":"s"}"#, Reason::WrongType),
        (r#"{"Records":[1]}"#, Reason::WrongType),
        (r#"{"Records":null}"#, Reason::WrongType),
        (r#"{"Records":[{"eventName":"x"},"#, Reason::MultilineJson),
        (r#"{"Records":[{"eventName":"x"}"#, Reason::Truncated),
        (r#"{"Records": ["#, Reason::MultilineJson),
        (r#"    "eventName": "GetObject","#, Reason::MultilineJson),
        ("garbage", Reason::BadJson),
    ] {
        assert_eq!(multi(line).unwrap_err(), reason, "{line}");
    }
}

#[test]
fn an_unreadable_time_keeps_the_event() {
    let got = one(r#"{"eventName":"x","eventSource":"s","eventTime":"redacted"}"#);
    has(
        &got,
        &[("cloudtrail.event_time", "redacted"), ("event.action", "x")],
    );
    assert!(got.iter().all(|(n, _)| n != "@timestamp"));
}

#[test]
fn a_cut_records_line_still_emits_its_complete_records() {
    let file = format!(r#"{{"Records":[{GET_OBJECT},{GET_OBJECT},{{"eventVersion":"1."#);
    let mut n = 0;
    let res = CloudtrailParser.parse_multi(file.as_bytes(), Origin::default(), &mut |_| n += 1);
    assert!(res.is_err());
    assert_eq!(n, 2);
}

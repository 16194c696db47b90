//! Tests of the `k8s-audit` format.

use super::*;

fn parse(line: &str) -> Result<Vec<(String, String)>, Reason> {
    let mut ev = Event::new(Format::K8sAudit, Origin::default());
    K8sAuditParser
        .parse(line.as_bytes(), &mut ev)
        .map_err(|e| e.reason)?;
    Ok(crate::parse::field_pairs(&ev))
}

fn has(got: &[(String, String)], want: &[(&str, &str)]) {
    for (k, v) in want {
        let found = got.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(found, Some(*v), "{k} in {got:?}");
    }
}

#[test]
fn native_event() {
    // From falco's create_deployment trace (Apache-2.0), trimmed.
    let got = parse(r#"{"annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""},"auditID":"c5be68f4","kind":"Event","level":"Request","objectRef":{"apiGroup":"extensions","apiVersion":"v1beta1","name":"nginx-deployment","namespace":"default","resource":"deployments"},"requestObject":{"kind":"Deployment","spec":{"template":{"spec":{"containers":[{"image":"nginx","name":"nginx1","securityContext":{"privileged":true}},{"image":"busybox","name":"b"}],"hostNetwork":true}}}},"requestReceivedTimestamp":"2018-10-26T13:07:36.905144Z","requestURI":"/apis/extensions/v1beta1/namespaces/default/deployments?timeout=30s","responseStatus":{"code":201,"metadata":{}},"sourceIPs":["192.168.99.1","10.0.0.1"],"stage":"ResponseComplete","stageTimestamp":"2018-10-26T13:07:36.911442Z","timestamp":"2018-10-26T13:07:36Z","user":{"groups":["system:masters","system:authenticated"],"username":"minikube-user","uid":"u-1"},"userAgent":"kubectl/v1.12.1","verb":"create"}"#).unwrap();
    has(
        &got,
        &[
            ("@timestamp", "2018-10-26T13:07:36.905144Z"),
            ("event.action", "create"),
            ("user.name", "minikube-user"),
            ("user.id", "u-1"),
            ("source.ip", "192.168.99.1"),
            ("user_agent.original", "kubectl/v1.12.1"),
            (
                "url.path",
                "/apis/extensions/v1beta1/namespaces/default/deployments",
            ),
            ("url.query", "timeout=30s"),
            ("http.response.status_code", "201"),
            ("event.outcome", "success"),
            ("kubernetes.audit.objectRef.resource", "deployments"),
            ("kubernetes.audit.objectRef.namespace", "default"),
            ("kubernetes.audit.stage", "ResponseComplete"),
            ("kubernetes.audit.auditID", "c5be68f4"),
            (
                "kubernetes.audit.user.groups",
                "system:masters,system:authenticated",
            ),
            ("kubernetes.audit.sourceIPs", "192.168.99.1,10.0.0.1"),
            (
                "kubernetes.audit.annotations.authorization.k8s.io/decision",
                "allow",
            ),
            (
                "kubernetes.audit.requestObject.spec.template.spec.containers.image",
                "nginx,busybox",
            ),
            (
                "kubernetes.audit.requestObject.spec.template.spec.containers.securityContext.privileged",
                "true",
            ),
            (
                "kubernetes.audit.requestObject.spec.template.spec.hostNetwork",
                "true",
            ),
        ],
    );
    // Not a CouchDB URL: no db.* guessed from it.
    assert!(got.iter().all(|(n, _)| !n.starts_with("db.")));
}

#[test]
fn minimal_and_denied_events() {
    let got = parse(r#"{"kind":"Event","objectRef":{"resource":"secrets"},"verb":"list","responseStatus":{"code":403,"reason":"Forbidden"}}"#).unwrap();
    has(
        &got,
        &[
            ("event.action", "list"),
            ("event.outcome", "failure"),
            ("kubernetes.audit.responseStatus.reason", "Forbidden"),
        ],
    );
    // Panther's EKS export time format.
    let got = parse(
        r#"{"kind":"Event","verb":"get","requestReceivedTimestamp":"2022-11-29 00:09:04.38"}"#,
    )
    .unwrap();
    has(&got, &[("@timestamp", "2022-11-29T00:09:04.38Z")]);
}

#[test]
fn gke_wrapper() {
    let got = parse(r#"{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{"principalEmail":"dev@example.com"},"authorizationInfo":[{"granted":true,"permission":"io.k8s.core.v1.pods.exec.create","resource":"core/v1/namespaces/example/pods/web-1/exec"}],"methodName":"io.k8s.core.v1.pods.exec.create","requestMetadata":{"callerIp":"88.88.88.88","callerSuppliedUserAgent":"kubectl/v1.28"},"resourceName":"core/v1/namespaces/example/pods/web-1/exec","serviceName":"k8s.io","status":{}},"resource":{"type":"k8s_cluster","labels":{"project_id":"acme-prod","cluster_name":"c1","location":"europe-west1"}},"timestamp":"2022-03-04T16:01:49.978756Z","logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity"}"#).unwrap();
    has(
        &got,
        &[
            ("@timestamp", "2022-03-04T16:01:49.978756Z"),
            ("event.action", "create"),
            ("event.outcome", "success"),
            ("user.name", "dev@example.com"),
            ("source.ip", "88.88.88.88"),
            ("user_agent.original", "kubectl/v1.28"),
            ("cloud.account.id", "acme-prod"),
            ("orchestrator.cluster.name", "c1"),
            ("cloud.region", "europe-west1"),
            ("kubernetes.audit.wrapper", "gke"),
            ("kubernetes.audit.objectRef.namespace", "example"),
            ("kubernetes.audit.objectRef.resource", "pods"),
            ("kubernetes.audit.objectRef.name", "web-1"),
            ("kubernetes.audit.objectRef.subresource", "exec"),
            ("kubernetes.audit.objectRef.apiVersion", "v1"),
            (
                "kubernetes.audit.gcp.authorizationInfo.permission",
                "io.k8s.core.v1.pods.exec.create",
            ),
        ],
    );
    assert!(
        got.iter()
            .all(|(n, _)| n != "kubernetes.audit.objectRef.apiGroup")
    );
    let got = parse(r#"{"protoPayload":{"authenticationInfo":{"principalEmail":"system:anonymous"},"methodName":"io.k8s.readyz","requestMetadata":{"callerIP":"108.177.75.65"},"resourceName":"/readyz","serviceName":"k8s.io","status":{"code":7,"message":"PERMISSION_DENIED"}}}"#).unwrap();
    has(
        &got,
        &[
            ("event.action", "readyz"),
            ("event.outcome", "failure"),
            ("source.ip", "108.177.75.65"),
            ("url.path", "/readyz"),
            ("kubernetes.audit.gcp.status.message", "PERMISSION_DENIED"),
        ],
    );
}

#[test]
fn aks_wrapper() {
    let got = parse(r#"{"category":"kube-audit","operationName":"Microsoft.ContainerService/managedClusters/diagnosticLogs/Read","resourceId":"/SUBSCRIPTIONS/0000-1111/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/AKS-1","time":"2024-05-01T10:00:00Z","properties":{"log":"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"verb\":\"create\",\"user\":{\"username\":\"policy-admin@example.com\"},\"sourceIPs\":[\"10.0.0.1\"],\"objectRef\":{\"resource\":\"validatingwebhookconfigurations\",\"name\":\"policy-validator\"},\"responseStatus\":{\"code\":201}}","pod":"kube-apiserver-1"}}"#).unwrap();
    has(
        &got,
        &[
            ("@timestamp", "2024-05-01T10:00:00Z"),
            ("event.action", "create"),
            ("user.name", "policy-admin@example.com"),
            ("source.ip", "10.0.0.1"),
            ("http.response.status_code", "201"),
            ("cloud.account.id", "0000-1111"),
            ("orchestrator.cluster.name", "AKS-1"),
            (
                "kubernetes.audit.objectRef.resource",
                "validatingwebhookconfigurations",
            ),
            ("kubernetes.audit.wrapper", "aks"),
            ("kubernetes.audit.azure.category", "kube-audit"),
        ],
    );
    // A record of another category is read from the wrapper.
    let got = parse(r#"{"category":"Administrative","operationName":"Microsoft.Compute/virtualMachines/write"}"#).unwrap();
    has(
        &got,
        &[("event.action", "Microsoft.Compute/virtualMachines/write")],
    );
    // A kube-audit record whose log is not an audit event is malformed.
    assert_eq!(
        parse(r#"{"category":"kube-audit","properties":{"log":"{\"a\":1}"}}"#).unwrap_err(),
        Reason::WrongShape
    );
}

#[test]
fn batches() {
    let ev = r#"{"kind":"Event","verb":"get","auditID":"a"}"#;
    let list = format!(
        r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{ev},{ev},{ev}]}}"#
    );
    let mut n = 0;
    K8sAuditParser
        .parse_multi(list.as_bytes(), Origin::default(), &mut |_| n += 1)
        .unwrap();
    assert_eq!(n, 3);
    let records = format!(
        r#"{{"records":[{{"category":"kube-audit","properties":{{"log":{}}}}}]}}"#,
        serde_json::to_string(ev).unwrap()
    );
    let got = parse(&records).unwrap();
    has(&got, &[("event.action", "get")]);
}

#[test]
fn an_unreadable_time_keeps_the_event() {
    let got = parse(r#"{"kind":"Event","verb":"get","stageTimestamp":"noon"}"#).unwrap();
    has(
        &got,
        &[
            ("kubernetes.audit.timestamp", "noon"),
            ("event.action", "get"),
        ],
    );
    assert!(got.iter().all(|(n, _)| n != "@timestamp"));
}

#[test]
fn errors() {
    for (line, reason) in [
        (r#"{"a":1}"#, Reason::WrongShape),
        (
            r#"{"user":{"username":"u"},"stage":"prod","level":"info"}"#,
            Reason::WrongShape,
        ),
        (
            r#"{"eventName":"GetObject","eventSource":"s3.amazonaws.com"}"#,
            Reason::WrongShape,
        ),
        (
            r#"{"action":"x.y.read","initiator":{}}"#,
            Reason::WrongShape,
        ),
        (r#"{"kind":"Event","verb":5}"#, Reason::WrongType),
        (r#"{"kind":"Event","verb":"get""#, Reason::Truncated),
        (
            r#"{"kind":"EventList","items":[{"kind":"Event"}]}"#,
            Reason::WrongShape,
        ),
        ("\u{1}\u{2}", Reason::BadJson),
    ] {
        assert_eq!(parse(line).unwrap_err(), reason, "{line}");
    }
}

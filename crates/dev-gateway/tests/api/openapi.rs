//! docs/openapi.yaml must describe what the server really does: every path, method and status
//! it answers, the error code of each documented example, and the exact 200 body keys.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::*;

fn load_spec() -> Result<Value, Box<dyn std::error::Error>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.yaml");
    Ok(serde_norway::from_str(&std::fs::read_to_string(path)?)?)
}

/// Follows a local `$ref` (`#/components/schemas/X`).
fn deref<'a>(spec: &'a Value, node: &'a Value) -> &'a Value {
    match node
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
    {
        Some(pointer) => spec.pointer(pointer).unwrap_or(&Value::Null),
        None => node,
    }
}

fn required(schema: &Value) -> BTreeSet<String> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn openapi_documents_every_response_the_server_gives() -> TestResult {
    let spec = load_spec()?;
    let gw = Gateway::start(&test_config(), &[])?;
    let creds = "/v1/telephony/webphone/credentials";
    let revoke = "/admin/tokens/revoke";
    let observed = vec![
        (creds, "get", gw.credentials("alice@acme.test", Some(ACME))?),
        (creds, "get", gw.credentials("alice@acme.test", None)?),
        (
            creds,
            "get",
            gw.credentials("alice@acme.test", Some(ACME_NO_TELEPHONY))?,
        ),
        (creds, "get", gw.credentials("bad", Some(ACME))?),
        (
            creds,
            "get",
            gw.credentials("dave@globex.test", Some(ACME))?,
        ),
        (creds, "get", gw.credentials("carol@acme.test", Some(ACME))?),
        (creds, "options", gw.request("OPTIONS", creds, &[], None)?),
        (revoke, "post", gw.revoke(Some("wrong"), "{}")?),
        (revoke, "post", gw.revoke(Some(ADMIN_KEY), "{}")?),
        (
            revoke,
            "post",
            gw.revoke(Some(ADMIN_KEY), r#"{"tokenId":"none"}"#)?,
        ),
        (
            revoke,
            "post",
            gw.revoke(Some(ADMIN_KEY), r#"{"tokenId":"acme-spare"}"#)?,
        ),
        (revoke, "options", gw.request("OPTIONS", revoke, &[], None)?),
    ];
    let statuses: BTreeSet<u16> = observed
        .iter()
        .filter(|(p, _, _)| *p == creds)
        .map(|(_, _, r)| r.status)
        .collect();
    assert_eq!(
        statuses,
        BTreeSet::from([200, 204, 400, 401, 403, 404, 409]),
        "the probe set lost a case"
    );

    let error_schema = deref(
        &spec,
        spec.pointer("/components/schemas/ErrorResponse")
            .unwrap_or(&Value::Null),
    );
    let error_inner = error_schema
        .pointer("/properties/error")
        .unwrap_or(&Value::Null);
    let documented_codes: BTreeSet<String> = error_inner
        .pointer("/properties/code/enum")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();

    for (path, method, reply) in &observed {
        let status = reply.status.to_string();
        let operation = spec
            .get("paths")
            .and_then(|p| p.get(*path))
            .and_then(|p| p.get(*method));
        let documented = operation.and_then(|o| o.pointer(&format!("/responses/{status}")));
        let Some(documented) = documented else {
            panic!("{method} {path} answered {status}, which docs/openapi.yaml does not document");
        };
        let media = documented.pointer("/content/application~1json");
        if reply.body.is_empty() {
            assert!(
                media.is_none(),
                "{method} {path} {status}: documented with a body, sent none"
            );
            continue;
        }
        let media = media.ok_or(format!("{method} {path} {status}: body not documented"))?;
        let schema = deref(&spec, media.get("schema").unwrap_or(&Value::Null));
        let body = reply.json()?;
        if reply.status == 200 {
            assert_eq!(
                required(schema),
                keys(&body),
                "{method} {path}: 200 keys vs required"
            );
            assert_eq!(
                keys(schema.get("properties").unwrap_or(&Value::Null)),
                keys(&body)
            );
        } else {
            assert_eq!(
                required(schema),
                keys(&body),
                "{method} {path} {status}: error envelope"
            );
            assert_eq!(
                required(error_inner),
                keys(body.get("error").unwrap_or(&Value::Null))
            );
            let code = reply.error_code().unwrap_or_default();
            assert!(
                documented_codes.contains(&code),
                "code {code} missing from the ErrorResponse enum"
            );
            let example = media.pointer("/example/error/code").and_then(Value::as_str);
            assert_eq!(
                example,
                Some(code.as_str()),
                "{method} {path} {status}: documented example code"
            );
        }
    }
    Ok(())
}

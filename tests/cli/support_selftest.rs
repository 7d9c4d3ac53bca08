//! The test support itself: the fake HTTP server and the pinned uv.

use std::io::{Read as _, Write as _};

use crate::support::http::{FakeServer, Response};

#[test]
fn fake_server_records_and_answers() {
    let server = FakeServer::start(|req| {
        if req.header("authorization") == Some("Bearer t") {
            Response::json(201, &serde_json::json!({"id": 1, "path": req.path}))
        } else {
            Response::json(401, &serde_json::json!({"message": "Bad credentials"}))
        }
    });
    let addr = server.url.trim_start_matches("http://");
    let body = r#"{"tag_name":"v1"}"#;
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "POST /repos/o/r/releases HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 201 Created\r\n"),
        "{response}"
    );
    assert!(
        response.ends_with(r#"{"id":1,"path":"/repos/o/r/releases"}"#),
        "{response}"
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].json().unwrap()["tag_name"], "v1");
}

#[test]
fn pinned_uv_is_available() {
    let uv = crate::support::uv();
    let out = std::process::Command::new(&uv)
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("uv "));
}

//! A loopback stand-in for an AWS endpoint: one connection at a time, each request's path and
//! body recorded and sent to the test, each answered by the test's function.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

/// One request as the stand-in read it.
#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    /// `X-Amz-Target` or the path's last segment: which operation (REST JSON APIs name it in
    /// the path).
    pub target: String,
    /// Every header, its name lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    /// The first value of a header (name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTP answer.
pub struct Answer {
    pub status: &'static str,
    pub headers: String,
    pub body: String,
}

impl Answer {
    pub fn xml(body: String) -> Answer {
        Answer {
            status: "200 OK",
            headers: "Content-Type: text/xml\r\n".into(),
            body,
        }
    }

    pub fn json(body: &str) -> Answer {
        Answer {
            status: "200 OK",
            headers: "Content-Type: application/json\r\n".into(),
            body: body.to_string(),
        }
    }

    /// An AWS JSON error (`code` in `x-amzn-ErrorType`), e.g. 403 AccessDeniedException.
    pub fn error(status: &'static str, code: &str, message: &str) -> Answer {
        Answer {
            status,
            headers: format!("Content-Type: application/json\r\nx-amzn-ErrorType: {code}\r\n"),
            body: format!(r#"{{"__type":"{code}","message":"{message}"}}"#),
        }
    }
}

/// Serve on a loopback port until the test ends; returns the URL and the requests read.
pub fn serve<F>(answer: F) -> (String, mpsc::Receiver<Request>)
where
    F: Fn(&Request) -> Answer + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let Ok(clone) = stream.try_clone() else {
                return;
            };
            let mut reader = BufReader::new(clone);
            let mut first = String::new();
            if reader.read_line(&mut first).unwrap_or(0) == 0 {
                continue;
            }
            let path = first.split(' ').nth(1).unwrap_or("").to_string();
            let mut headers = Vec::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some((name, value)) = line.split_once(':') {
                    headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
                }
            }
            let mut request = Request {
                path,
                target: String::new(),
                headers,
                body: String::new(),
            };
            let length = request
                .header("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0usize);
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            request.body = String::from_utf8_lossy(&body).to_string();
            request.target = match request.header("x-amz-target") {
                Some(t) => t.to_ascii_lowercase(),
                None => request.path.rsplit('/').next().unwrap_or("").to_string(),
            };
            let a = answer(&request);
            let _ = tx.send(request);
            let _ = write!(
                stream,
                "HTTP/1.1 {}\r\n{}Content-Length: {}\r\nConnection: close\r\n\r\n{}",
                a.status,
                a.headers,
                a.body.len(),
                a.body
            );
        }
    });
    (url, rx)
}

/// A form-encoded body (IAM's query protocol) as (name, value) pairs, decoded.
pub fn form(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}

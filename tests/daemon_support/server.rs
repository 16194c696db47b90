//! A scripted webhook receiver on 127.0.0.1: fails with 500, hangs, or
//! answers 429 with `Retry-After`, or accepts and records alerts.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the receiver answers right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// `500 Internal Server Error`.
    Fail,
    /// Reads the request and never answers (until the phase changes).
    Hang,
    /// `429 Too Many Requests` with `Retry-After: N` seconds.
    TooMany(u64),
    /// `200 OK`; the alerts are recorded.
    Accept,
}

/// What the receiver saw.
#[derive(Default)]
pub struct Seen {
    /// Alerts accepted, in arrival order.
    pub alerts: Vec<serde_json::Value>,
    /// Every request: when, in which phase.
    pub requests: Vec<(Instant, Phase)>,
}

/// A running receiver.
#[derive(Clone)]
pub struct Receiver {
    pub addr: String,
    phase: Arc<Mutex<Phase>>,
    pub seen: Arc<Mutex<Seen>>,
}

impl Receiver {
    /// Starts accepting in phase `phase`.
    pub fn start(phase: Phase) -> Receiver {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let r = Receiver {
            addr: l.local_addr().unwrap().to_string(),
            phase: Arc::new(Mutex::new(phase)),
            seen: Arc::new(Mutex::new(Seen::default())),
        };
        let rr = r.clone();
        std::thread::spawn(move || {
            for s in l.incoming().flatten() {
                let rr = rr.clone();
                std::thread::spawn(move || rr.serve(s));
            }
        });
        r
    }

    /// Switches phase.
    pub fn set(&self, phase: Phase) {
        *self.phase.lock().unwrap() = phase;
    }

    fn phase(&self) -> Phase {
        *self.phase.lock().unwrap()
    }

    fn serve(&self, s: TcpStream) {
        let mut r = BufReader::new(s.try_clone().unwrap());
        let mut w = s;
        loop {
            let mut len = 0usize;
            let mut first = String::new();
            if r.read_line(&mut first).unwrap_or(0) == 0 {
                return;
            }
            loop {
                let mut h = String::new();
                if r.read_line(&mut h).unwrap_or(0) == 0 {
                    return;
                }
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':')
                    && k.eq_ignore_ascii_case("content-length")
                {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; len];
            if r.read_exact(&mut body).is_err() {
                return;
            }
            let phase = self.phase();
            self.seen
                .lock()
                .unwrap()
                .requests
                .push((Instant::now(), phase));
            let reply = match phase {
                Phase::Fail => {
                    "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n".to_string()
                }
                Phase::Hang => {
                    let t = Instant::now();
                    while self.phase() == Phase::Hang && t.elapsed() < Duration::from_secs(20) {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    return; // the client has given up long ago
                }
                Phase::TooMany(secs) => format!(
                    "HTTP/1.1 429 Too Many Requests\r\nretry-after: {secs}\r\ncontent-length: 0\r\n\r\n"
                ),
                Phase::Accept => {
                    let v: Vec<serde_json::Value> =
                        serde_json::from_slice(&body).expect("a JSON array of alerts");
                    self.seen.lock().unwrap().alerts.extend(v);
                    "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n".to_string()
                }
            };
            if w.write_all(reply.as_bytes()).is_err() {
                return;
            }
        }
    }
}

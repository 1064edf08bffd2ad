//! `faultproxy --upstream HOST:PORT [--latency-ms N] [--lenient] [--scp-max-chars N]
//! [--scps-per-target N] [--iam-page-size N] [--deny OPERATION]...`: run the proxy for scripts and
//! benchmarks. Prints `listening http://127.0.0.1:PORT` on stdout, then serves until killed.
//! `GET /__faultproxy/counts` answers the calls per operation as JSON. `--deny OPERATION`
//! answers every call of that operation (e.g. `GetAccountAuthorizationDetails`) with
//! `AccessDenied`, as for a caller without the permission.

use std::time::Duration;

use faultproxy::{Config, Proxy};

fn usage() -> ! {
    eprintln!("usage: faultproxy --upstream HOST:PORT [--latency-ms N] [--lenient] [--scp-max-chars N] [--scps-per-target N] [--iam-page-size N] [--deny OPERATION]...");
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mut upstream = None;
    let mut latency = Duration::ZERO;
    let mut strict = true;
    let mut limits = faultproxy::Limits::default();
    let mut iam_page_size = 1000;
    let mut denied = Vec::new();
    let number = |args: &mut std::iter::Skip<std::env::Args>| -> usize {
        args.next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| usage())
    };
    while let Some(a) = args.next() {
        match a.as_str() {
            "--upstream" => upstream = args.next().and_then(|u| u.parse().ok()),
            "--latency-ms" => {
                let ms: u64 = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| usage());
                latency = Duration::from_millis(ms);
            }
            "--lenient" => strict = false,
            "--scp-max-chars" => limits.scp_max_chars = number(&mut args),
            "--scps-per-target" => limits.scps_per_target = number(&mut args),
            "--iam-page-size" => iam_page_size = number(&mut args),
            "--deny" => denied.push(args.next().unwrap_or_else(|| usage())),
            _ => usage(),
        }
    }
    let mut config = Config::new(upstream.unwrap_or_else(|| usage()));
    config.latency = latency;
    config.strict = strict;
    config.limits = limits;
    config.iam_page_size = iam_page_size;
    config.rules = denied
        .into_iter()
        .map(|op| faultproxy::Rule {
            operation: Some(op),
            only: faultproxy::Only::All,
            when: faultproxy::When::Always,
            fault: faultproxy::Fault::error("AccessDenied"),
        })
        .collect();
    let proxy = Proxy::start(config).await.unwrap_or_else(|e| {
        eprintln!("faultproxy: cannot listen: {e}");
        std::process::exit(1)
    });
    println!("listening {}", proxy.url());
    std::future::pending::<()>().await;
}

//! `cyberdrill-loadgen`: opens many live sockets to a drill and measures deliveries
//! (`BENCHMARKS.md`, `cyberdrill::loadgen`).

use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use cyberdrill::loadgen::{self, Options};

#[derive(Parser)]
#[command(about = "Load generator for the live channel")]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// A controller's bearer token (instead of username and password).
    #[arg(long, env = "CYBERDRILL_TOKEN")]
    token: Option<String>,
    #[arg(long, default_value = "btc")]
    username: String,
    #[arg(long, env = "CYBERDRILL_PASSWORD", default_value = "")]
    password: String,
    #[arg(long, default_value_t = 1000)]
    connections: usize,
    #[arg(long, default_value_t = 10)]
    injects: usize,
    /// Injects per second.
    #[arg(long, default_value_t = 1.0)]
    rate: f64,
    #[arg(long, default_value_t = 1024)]
    body_bytes: usize,
    /// Local addresses for the client sockets, round-robin.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4"
    )]
    sources: Vec<IpAddr>,
    #[arg(long, default_value_t = 200)]
    connect_concurrency: usize,
    /// Release requests in flight at once.
    #[arg(long, default_value_t = 8)]
    release_concurrency: usize,
    /// The server's PID, to report its resident memory per connection.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Seconds to wait for late deliveries after the last release.
    #[arg(long, default_value_t = 15)]
    drain_s: u64,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let a = Args::parse();
    let mut opts = Options::new(a.url);
    opts.token = a.token;
    opts.username = a.username;
    opts.password = a.password;
    opts.connections = a.connections;
    opts.injects = a.injects;
    opts.rate = a.rate;
    opts.body_bytes = a.body_bytes;
    opts.sources = a.sources;
    opts.connect_concurrency = a.connect_concurrency;
    opts.release_concurrency = a.release_concurrency;
    opts.server_pid = a.server_pid;
    opts.drain = Duration::from_secs(a.drain_s);
    let report = loadgen::run(opts).await?;
    let text = if a.json {
        serde_json::to_string_pretty(&report)?
    } else {
        format!("{report:#?}")
    };
    #[allow(clippy::print_stdout)]
    {
        println!("{text}");
    }
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

//! The command line of `cyberdrill` (see `shared/API.md`).

use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::config::{Config, DEFAULT_ADDR, DEFAULT_DATABASE_URL};
use crate::domain::Role;
use crate::startup::{Application, shutdown_signal};
use crate::{auth, db, demo, store};

#[derive(Debug, Parser)]
#[command(
    name = "cyberdrill",
    version,
    about = "Prepare, run and prove cyber-security drills"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone)]
pub struct DbArgs {
    /// sqlite://… (default, embedded) or postgres://…
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve {
        #[arg(long, env = "CYBERDRILL_ADDR", default_value = DEFAULT_ADDR)]
        addr: SocketAddr,
        #[command(flatten)]
        db: DbArgs,
        /// Seed a demo organisation, users, systems, teams and playbooks.
        #[arg(long)]
        demo: bool,
        /// Mark cookies Secure (when users reach the server over HTTPS).
        #[arg(long, env = "CYBERDRILL_SECURE_COOKIES")]
        secure_cookies: bool,
        /// The shipped scenario library to sync at start-up.
        #[arg(long, env = "CYBERDRILL_SCENARIO_DIR", default_value = crate::config::DEFAULT_SCENARIO_DIR)]
        scenario_dir: PathBuf,
        /// Where evidence files are stored (default: `evidence` next to the SQLite
        /// database, else `./data/evidence`).
        #[arg(long, env = "CYBERDRILL_EVIDENCE_DIR")]
        evidence_dir: Option<PathBuf>,
        /// How often a live publisher reads the log for events of other processes
        /// (milliseconds; LISTEN/NOTIFY wakes it sooner on PostgreSQL). For tests.
        #[arg(
            long,
            env = "CYBERDRILL_LIVE_POLL_MS",
            default_value_t = 1000,
            hide = true
        )]
        live_poll_ms: u64,
        /// Concurrent live sockets of one user (raise it for `cyberdrill-loadgen`).
        #[arg(
            long,
            env = "CYBERDRILL_MAX_SOCKETS_PER_USER",
            default_value_t = crate::drill::hub::MAX_SOCKETS_PER_USER
        )]
        max_sockets_per_user: usize,
    },
    /// Apply pending migrations and exit.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Work with scenario files.
    Scenario {
        #[command(subcommand)]
        command: ScenarioCommand,
    },
    /// Work with drills.
    Drill {
        #[command(subcommand)]
        command: DrillCommand,
    },
    /// Export what the server computed, as files for officials.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Maturity frameworks (the competency framework scores are computed with).
    Framework {
        #[command(subcommand)]
        command: FrameworkCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum FrameworkCommand {
    /// Validate a framework file and load it as the active framework (new years are
    /// scored with it; years already scored keep theirs). Prints every problem of an
    /// invalid file and exits 1 without loading anything.
    Load {
        file: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// The annual maturity of the response teams (the same file as
    /// `GET /api/v1/maturity/export`). Prints the content SHA-256.
    Maturity {
        /// The year (Vietnam calendar).
        #[arg(long)]
        year: i64,
        #[arg(long, value_enum)]
        format: crate::export::maturity::Format,
        /// One organisation (and its units) by slug; default: every organisation.
        #[arg(long)]
        org: Option<String>,
        /// The file to write.
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum DrillCommand {
    /// Recompute a drill's event-log hash chain: print the head hash when intact,
    /// else name the first bad event and exit 1.
    Verify {
        drill_id: uuid::Uuid,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum ScenarioCommand {
    /// Validate scenario files: print `FILE:LINE:COL: message` for each problem.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from standard input (one line).
    Create {
        username: String,
        #[arg(long)]
        role: Role,
        /// Organisation slug; default: the root organisation.
        #[arg(long)]
        org: Option<String>,
        /// Full name shown in the UI (default: the username).
        #[arg(long)]
        full_name: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
}

impl clap::ValueEnum for Role {
    fn value_variants<'a>() -> &'a [Self] {
        Role::ALL
    }
    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.code()))
    }
}

/// Runs a command; the exit code says whether it succeeded (e.g. `scenario check`
/// exits 1 when a file has problems).
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve {
            addr,
            db,
            demo: seed_demo,
            secure_cookies,
            scenario_dir,
            evidence_dir,
            live_poll_ms,
            max_sockets_per_user,
        } => {
            let mut config = Config::new(addr, db.database_url);
            config.secure_cookies = secure_cookies;
            config.scenario_dir = scenario_dir;
            if let Some(dir) = evidence_dir {
                config.evidence_dir = dir;
            }
            config.live_poll = std::time::Duration::from_millis(live_poll_ms.max(10));
            config.live_max_sockets_per_user = max_sockets_per_user;
            if !db::is_postgres(&config.database_url) {
                tracing::info!(
                    "SQLite: single-process mode (use PostgreSQL to run several servers on one database)"
                );
            }
            let app = Application::build(config).await?;
            if seed_demo {
                demo::seed(&app.state().db)
                    .await
                    .context("seeding demo data")?;
            }
            let token = CancellationToken::new();
            let server = app.run_until(token.clone());
            tokio::pin!(server);
            tokio::select! {
                result = &mut server => return result.map(|()| ExitCode::SUCCESS),
                _ = shutdown_signal() => token.cancel(),
            }
            server.await.map(|()| ExitCode::SUCCESS)
        }
        Command::Migrate { db } => {
            db::connect_and_migrate(&db.database_url).await?;
            tracing::info!("migrations applied");
            Ok(ExitCode::SUCCESS)
        }
        Command::User {
            command:
                UserCommand::Create {
                    username,
                    role,
                    org,
                    full_name,
                    db,
                },
        } => {
            create_user(
                &db.database_url,
                &username,
                role,
                org.as_deref(),
                full_name.as_deref(),
            )
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Scenario {
            command: ScenarioCommand::Check { files },
        } => check_scenarios(&files),
        Command::Drill {
            command: DrillCommand::Verify { drill_id, db },
        } => verify_drill(&db.database_url, drill_id).await,
        Command::Framework {
            command: FrameworkCommand::Load { file, db },
        } => load_framework(&db.database_url, &file).await,
        Command::Export {
            command:
                ExportCommand::Maturity {
                    year,
                    format,
                    org,
                    output,
                    db,
                },
        } => export_maturity(&db.database_url, year, format, org.as_deref(), &output).await,
    }
}

/// `cyberdrill framework load FILE`: validate, then store and activate.
async fn load_framework(url: &str, file: &std::path::Path) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let framework = match crate::maturity::Framework::parse(&text) {
        Ok(f) => f,
        Err(errors) => {
            let mut err = std::io::stderr().lock();
            for p in errors.0 {
                writeln!(err, "{}: {}: {}", file.display(), p.place, p.message)?;
            }
            return Ok(ExitCode::FAILURE);
        }
    };
    let conn = db::connect_and_migrate(url).await?;
    store::maturity::ensure_builtin(&conn, chrono::Utc::now()).await?;
    match store::maturity::load_framework(&conn, &framework, &text, None, chrono::Utc::now()).await
    {
        Ok(v) => {
            writeln!(
                std::io::stdout().lock(),
                "loaded {} version {} (sha256 {}); it is now the active framework",
                v.id,
                v.version,
                v.sha256
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(store::StoreError::Conflict { message, .. }) => {
            writeln!(std::io::stderr().lock(), "{}: {message}", file.display())?;
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}

/// `cyberdrill drill verify`: exit 0 with the head hash, or 1 naming the first bad
/// event (2 via the error path when the drill does not exist).
async fn verify_drill(url: &str, drill_id: uuid::Uuid) -> anyhow::Result<ExitCode> {
    let conn = db::connect_and_migrate(url).await?;
    let report = match store::drill_log::verify_drill(&conn, drill_id).await {
        Err(store::StoreError::NotFound) => bail!("no drill {drill_id}"),
        other => other?,
    };
    let mut out = std::io::stdout().lock();
    if report.ok {
        writeln!(out, "{}", report.head)?;
        writeln!(
            std::io::stderr().lock(),
            "drill {drill_id}: {} event(s), chain intact",
            report.events
        )?;
        Ok(ExitCode::SUCCESS)
    } else {
        writeln!(
            out,
            "drill {drill_id}: event {} is bad: {}",
            report.first_bad_seq.unwrap_or(report.events + 1),
            report
                .problem
                .as_deref()
                .unwrap_or("the chain does not verify")
        )?;
        Ok(ExitCode::FAILURE)
    }
}

/// Prints every problem of every file; exit 1 when there is any.
fn check_scenarios(files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let mut problems = 0usize;
    for file in files {
        for line in crate::scenario::check_file(file) {
            writeln!(out, "{line}")?;
            problems += 1;
        }
    }
    let mut err = std::io::stderr().lock();
    writeln!(
        err,
        "checked {} file(s): {} problem(s)",
        files.len(),
        problems
    )?;
    Ok(if problems == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn create_user(
    url: &str,
    username: &str,
    role: Role,
    org: Option<&str>,
    full_name: Option<&str>,
) -> anyhow::Result<()> {
    let username = username.trim();
    if username.is_empty()
        || username.len() > 64
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        bail!("username: use 1–64 letters, digits, '.', '_' or '-'");
    }
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("reading the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']).to_owned();
    auth::password::check_new(&password).map_err(|e| anyhow::anyhow!("password: {e}"))?;
    let conn = db::connect_and_migrate(url).await?;
    let org = match org {
        Some(slug) => store::orgs::find_by_slug(&conn, slug)
            .await?
            .with_context(|| format!("no organisation with slug {slug}"))?,
        None => store::orgs::ensure_root(&conn).await?,
    };
    let hash = auth::password::hash_blocking(&password)?;
    let user = store::users::create(
        &conn,
        store::users::NewUser {
            username,
            full_name: full_name.unwrap_or(username),
            password_hash: &hash,
            role,
            org_id: org.id,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    tracing::info!(user.id = %user.id, username, role = %role, org = %org.slug, "user created");
    Ok(())
}

/// `cyberdrill export maturity`: writes the file and fsyncs it; prints its content
/// SHA-256.
async fn export_maturity(
    url: &str,
    year: i64,
    format: crate::export::maturity::Format,
    org: Option<&str>,
    out: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    use crate::export::maturity::OrgRef;
    let conn = db::connect_and_migrate(url).await?;
    let now = chrono::Utc::now();
    let year =
        crate::http::api::maturity::validate_year(year, crate::time::vietnam_date(now), "year")
            .map_err(|e| {
                anyhow::anyhow!(
                    "--year: {}",
                    e.envelope()
                        .error
                        .fields
                        .get("year")
                        .cloned()
                        .unwrap_or_default()
                )
            })?;
    let (scope, filter, organisation) = match org {
        Some(slug) => {
            let org = store::orgs::find_by_slug(&conn, slug)
                .await?
                .with_context(|| format!("no organisation with slug {slug}"))?;
            let ids = store::orgs::subtree(&conn, org.id).await?;
            (
                store::Scope::Orgs(ids),
                Some(org.id),
                OrgRef {
                    id: org.id,
                    slug: org.slug,
                    name: org.name,
                },
            )
        }
        None => (
            store::Scope::All,
            None,
            OrgRef {
                id: uuid::Uuid::nil(),
                slug: "all".into(),
                name: "Tất cả tổ chức / All organisations".into(),
            },
        ),
    };
    let by = format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    );
    let export = crate::http::api::maturity_export::build(
        &conn,
        &scope,
        filter,
        organisation,
        year,
        by,
        now,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{}", e.envelope().error.message))?;
    let bytes = crate::export::maturity::write(&export, format)?;
    let mut file =
        std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?;
    file.write_all(&bytes)?;
    file.sync_all()?;
    writeln!(std::io::stdout().lock(), "{}", export.content_sha256)?;
    writeln!(
        std::io::stderr().lock(),
        "{}: {} team(s), {} drill log(s), {} bytes",
        out.display(),
        export.content.teams.len(),
        export.content.drill_logs.len(),
        bytes.len()
    )?;
    Ok(ExitCode::SUCCESS)
}

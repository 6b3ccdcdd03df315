//! Building and running the application. Binding is separate from serving, so tests
//! run the real app on port 0 and learn the port before the first request.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::auth::rate_limit::LoginLimiter;
use crate::config::Config;
use crate::drill::hub::LiveHub;
use crate::state::{App, AppState};
use crate::views::Views;
use crate::{boot, db, drill, http};

pub struct Application {
    listener: TcpListener,
    state: AppState,
    tracker: TaskTracker,
}

impl Application {
    /// Opens and migrates the database, loads the templates and binds the address.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let db = db::connect_and_migrate(&config.database_url).await?;
        let report = boot::scenarios::sync(&db, &config.scenario_dir)
            .await
            .context("syncing the scenario library")?;
        tracing::info!(dir = %config.scenario_dir.display(), ?report, "scenario library synced");
        crate::store::maturity::ensure_builtin(&db, chrono::Utc::now())
            .await
            .context("storing the built-in maturity framework")?;
        let listener = TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("binding {}", config.addr))?;
        let tracker = TaskTracker::new();
        let shutdown = CancellationToken::new();
        let state = AppState::new(App {
            views: Views::new()?,
            login_limiter: LoginLimiter::default(),
            shutdown: shutdown.clone(),
            drill_wake: Arc::new(Notify::new()),
            hub: Arc::new(
                LiveHub::new(
                    db.clone(),
                    crate::drill::hub::start_fanout_runtime()
                        .context("starting the live fan-out runtime")?,
                    tracker.clone(),
                    shutdown,
                    config.live_lag_limit,
                )
                .with_poll(config.live_poll)
                .with_max_sockets_per_user(config.live_max_sockets_per_user),
            ),
            config,
            db,
        });
        // The live scoreboard of running drills (`score_updated` for controllers).
        if state.config.live_scoreboard {
            tracker.spawn(crate::drill::scores::run(
                state.db.clone(),
                state.hub.clone(),
                state.shutdown.clone(),
            ));
        }
        if let Some(every) = state.config.scenario_resync {
            tracker.spawn(boot::scenarios::watch(
                state.db.clone(),
                state.config.scenario_dir.clone(),
                every,
                state.shutdown.clone(),
            ));
        }
        Ok(Application {
            listener,
            state,
            tracker,
        })
    }

    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` is cancelled, then lets open requests finish and waits
    /// for every background task (axum does not wait for upgraded connections).
    pub async fn run_until(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let Application {
            listener,
            state,
            tracker,
        } = self;
        // SQLite is one process: leases left by a previous run are stale, and must not
        // delay the catch-up below until they expire.
        if !db::is_postgres(&state.config.database_url)
            && let Err(e) = crate::store::leases::clear(&state.db).await
        {
            tracing::warn!(error = %e, "cannot clear stale drill leases");
        }
        // Uploads cut off by a crash (or a client that went away) leave their temporary
        // files; an hour is far longer than any upload takes, also on another server
        // sharing the directory. Looked for at start and then hourly.
        {
            let (dir, stop) = (state.config.evidence_dir.clone(), state.shutdown.clone());
            tracker.spawn(async move {
                let hour = std::time::Duration::from_secs(3600);
                loop {
                    http::api::evidence::remove_stale_uploads(dir.clone(), hour).await;
                    tokio::select! {
                        () = tokio::time::sleep(hour) => {}
                        () = stop.cancelled() => return,
                    }
                }
            });
        }
        // The drill scheduler ticks at once: what fell due while the server was down
        // is released now, with its lateness recorded.
        tracker.spawn(
            drill::scheduler::Scheduler::new(state.db.clone(), state.drill_wake.clone())
                .with_hub(state.hub.clone())
                .run(state.shutdown.clone()),
        );
        // Several processes on one PostgreSQL database: events committed by the others
        // reach this process's sockets through LISTEN/NOTIFY.
        if db::is_postgres(&state.config.database_url) {
            tracker.spawn(drill::listener::run(
                state.config.database_url.clone(),
                state.hub.clone(),
                state.shutdown.clone(),
            ));
        }
        let app = http::router(state.clone());
        let app_shutdown = state.shutdown.clone();
        let stop = shutdown.clone();
        tracing::info!(addr = %listener.local_addr()?, "listening");
        // TCP_NODELAY: live frames are small and must not wait for Nagle's algorithm.
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY");
            }
        });
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            stop.cancelled().await;
            app_shutdown.cancel();
        })
        .await
        .context("serving HTTP")?;
        tracker.close();
        tracker.wait().await;
        state.db.clone().close().await.ok();
        tracing::info!("stopped");
        Ok(())
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested");
}

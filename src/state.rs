//! Shared application state: cheap to clone (an `Arc` inside), no globals.

use std::ops::Deref;
use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::auth::rate_limit::LoginLimiter;
use crate::config::Config;
use crate::drill::hub::LiveHub;
use crate::views::Views;

#[derive(Clone)]
pub struct AppState(Arc<App>);

pub struct App {
    pub config: Config,
    pub db: DatabaseConnection,
    pub views: Views,
    pub login_limiter: LoginLimiter,
    /// Cancelled on shutdown; long-lived tasks (sockets, schedulers) watch it.
    pub shutdown: CancellationToken,
    /// Wakes the drill scheduler early (a drill started or resumed).
    pub drill_wake: Arc<Notify>,
    /// Streams committed drill events to live sockets; writers call `notify`.
    pub hub: Arc<LiveHub>,
}

impl AppState {
    pub fn new(app: App) -> Self {
        AppState(Arc::new(app))
    }
}

impl Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}
